import { describe, it, expect } from 'vitest';
import { parseFile } from '../../compiler/lang/build-ast.ts';
import type { Expr, FileAst, Item, NetworkDecl, Statement, TargetDecl, TrainDecl } from '../../compiler/lang/ast.ts';

function parse(text: string): FileAst {
  const r = parseFile(text, 'f.kiln');
  expect(r.diagnostics).toEqual([]);
  return r.ast!;
}

/** An expression as a fully parenthesized string, so precedence is visible. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'number': return e.text;
    case 'string': return JSON.stringify(e.value);
    case 'name': return e.name;
    case 'neg': return `(-${show(e.operand)})`;
    case 'binary': return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'list': return `[${e.items.map(show).join(', ')}]`;
  }
}

function showItem(it: Item): string {
  switch (it.kind) {
    case 'word': return it.path.map((p) => p.name).join('.') + (it.args ? `(${it.args.map((a) => (a.name ? a.name.name + '=' : '') + show(a.value)).join(', ')})` : '');
    case 'number': return `${it.value}${it.unit ? ' ' + it.unit.name : ''}`;
    case 'string': return JSON.stringify(it.value);
    case 'block': return `{ ${it.items.map(showItem).join(' ')} }`;
  }
}

const firstNetwork = (ast: FileAst) => ast.decls.find((d): d is NetworkDecl => d.kind === 'network')!;
const stmt = <K extends Statement['kind']>(n: NetworkDecl, kind: K, i = 0) => n.body.filter((s): s is Extract<Statement, { kind: K }> => s.kind === kind)[i]!;

describe('parser: files and imports', () => {
  it('reads imports with their paths and positions, and declarations in source order', () => {
    const ast = parse('import "blocks/residual.kiln"\nimport "../x.kiln"\ntrain t { data mnist }\nnetwork n { input x : f32[1] output x }\ntarget c : systolic { }\n');
    expect(ast.file).toBe('f.kiln');
    expect(ast.imports).toEqual([
      { path: 'blocks/residual.kiln', loc: { file: 'f.kiln', line: 1, col: 8, length: 22 } },
      { path: '../x.kiln', loc: { file: 'f.kiln', line: 2, col: 8, length: 11 } },
    ]);
    expect(ast.decls.map((d) => `${d.kind} ${d.name.name} @${d.loc.line}`)).toEqual(['train t @3', 'network n @4', 'target c @5']);
  });

  it('accepts an empty file and a file of comments', () => {
    expect(parse('').decls).toEqual([]);
    expect(parse('# nothing\n// here\n').decls).toEqual([]);
  });
});

describe('parser: networks', () => {
  it('reads parameters with and without defaults, with integer arithmetic', () => {
    const n = firstNetwork(parse('network n(a, b = 2 * a, c = -(b - 1) % 4, d = 1 + 2 * 3, e = (1 + 2) * 3, f = a / 2 - -1) { output a }'));
    expect(n.params.map((p) => `${p.name.name}=${p.default ? show(p.default) : '∅'}`)).toEqual([
      'a=∅',
      'b=(2 * a)',
      'c=((-(b - 1)) % 4)',
      'd=(1 + (2 * 3))',
      'e=((1 + 2) * 3)',
      'f=((a / 2) - -1)',
    ]);
  });

  it('folds a minus before a literal into a negative number, and keeps left associativity', () => {
    const n = firstNetwork(parse('network n(a = -3, b = 10 - 4 - 3, c = 12 / 3 / 2, d = --2) { output a }'));
    const [a, b, c, d] = n.params.map((p) => p.default!);
    expect(a).toMatchObject({ kind: 'number', value: -3, isInt: true, text: '-3' });
    expect(show(b!)).toBe('((10 - 4) - 3)');
    expect(show(c!)).toBe('((12 / 3) / 2)');
    expect(d).toMatchObject({ kind: 'number', value: 2 });
  });

  it('tells integer literals from decimals', () => {
    const n = firstNetwork(parse('network n(a = 2, b = 2.0, c = 1e3, d = .5) { output a }'));
    expect(n.params.map((p) => [(p.default as { isInt: boolean }).isInt, (p.default as { value: number }).value])).toEqual([[true, 2], [false, 2], [false, 1000], [false, 0.5]]);
  });

  it('reads typed inputs with dimension expressions', () => {
    const n = firstNetwork(parse('network n(b = 2) {\n  input x : f32[b, 3, 2 * 14, 28]\n  input tokens : i32[b, 35]\n  output x\n}'));
    const x = stmt(n, 'input', 0);
    expect(x.name.name).toBe('x');
    expect(x.dtype).toEqual({ name: 'f32', loc: { file: 'f.kiln', line: 2, col: 13, length: 3 } });
    expect(x.dims.map(show)).toEqual(['b', '3', '(2 * 14)', '28']);
    expect(x.loc).toMatchObject({ line: 2, col: 3 });
    expect(stmt(n, 'input', 1).dtype.name).toBe('i32');
  });

  it('reads a layer chain with positional, named, list and qualified arguments', () => {
    const n = firstNetwork(parse('network n {\n  c1 = conv2d(x, 6, kernel = [5, 3], pad = 2, weights = i8 per_channel) -> relu -> maxpool2d(2)\n  output c1\n}'));
    const a = stmt(n, 'assign');
    expect(a.name).toEqual({ name: 'c1', loc: { file: 'f.kiln', line: 2, col: 3, length: 2 } });
    expect(a.chain.map((c) => [c.name, c.hasParens, c.args.length])).toEqual([['conv2d', true, 5], ['relu', false, 0], ['maxpool2d', true, 1]]);
    const args = a.chain[0]!.args;
    expect(args.map((x) => [x.name?.name ?? null, show(x.value), x.qualifier?.name ?? null])).toEqual([
      [null, 'x', null],
      [null, '6', null],
      ['kernel', '[5, 3]', null],
      ['pad', '2', null],
      ['weights', 'i8', 'per_channel'],
    ]);
    expect(args[4]!.qualifier!.loc).toMatchObject({ line: 2, col: 60, length: 11 });
    expect(a.chain[1]!.loc).toMatchObject({ line: 2, col: 76 });
  });

  it('reads a chain that starts from a tensor, and an empty argument list', () => {
    const n = firstNetwork(parse('network n { h = x -> relu  g = flatten() output h }'));
    expect(stmt(n, 'assign', 0).chain.map((c) => [c.name, c.hasParens])).toEqual([['x', false], ['relu', false]]);
    expect(stmt(n, 'assign', 1).chain[0]).toMatchObject({ hasParens: true, args: [] });
  });

  it('reads several outputs, on one line and on several', () => {
    const n = firstNetwork(parse('network n {\n  output a, b\n  output c\n}'));
    expect(n.body.filter((s) => s.kind === 'output').map((s) => (s as Extract<Statement, { kind: 'output' }>).names.map((x) => x.name))).toEqual([['a', 'b'], ['c']]);
  });

  it('reads timesteps as an expression', () => {
    const n = firstNetwork(parse('network n(t = 5) { timesteps 5 * t output y }'));
    expect(show(stmt(n, 'timesteps').value)).toBe('(5 * t)');
  });

  it('lets keywords name arguments but not layers', () => {
    const n = firstNetwork(parse('network n { y = f(x, input = 1, output = 2, train = 3) output y }'));
    expect(stmt(n, 'assign').chain[0]!.args.slice(1).map((a) => a.name!.name)).toEqual(['input', 'output', 'train']);
    expect(parseFile('network n { input = relu(x) }', 'f.kiln').diagnostics.length).toBeGreaterThan(0);
  });

  it('ignores comments of both kinds anywhere on a line', () => {
    const withComments = 'network n(b = 1) { # params\n  input x : f32[b, 4] // the input\n  y = dense(x, 2) # a layer\n  // a whole line\n  output y\n}';
    const without = 'network n(b = 1) {\n  input x : f32[b, 4]\n  y = dense(x, 2)\n\n  output y\n}';
    const strip = (ast: FileAst) => JSON.stringify(ast, (k, v) => (k === 'loc' ? undefined : v));
    expect(strip(parse(withComments))).toBe(strip(parse(without)));
  });
});

describe('parser: target and train blocks', () => {
  it('reads a target of a kind as a flat item list with units, dotted keys and nested blocks', () => {
    const ast = parse('target t : systolic {\n  array 4 x 8  clock 700 MHz\n  energy { mac.i8 0.2 pJ  dram.read 640 pJ/word }\n  offset -3\n  note "x"\n}');
    const t = ast.decls[0] as TargetDecl;
    expect(t.base.how).toBe('kind');
    expect(t.base.name.name).toBe('systolic');
    expect(t.items.map(showItem)).toEqual(['array', '4', 'x', '8', 'clock', '700 MHz', 'energy', '{ mac.i8 0.2 pJ dram.read 640 pJ/word }', 'offset', '-3', 'note', '"x"']);
    const clock = t.items[5] as Extract<Item, { kind: 'number' }>;
    expect(clock.unit).toEqual({ name: 'MHz', loc: { file: 'f.kiln', line: 2, col: 26, length: 3 } });
  });

  it('reads `extends` with the base target name', () => {
    const t = parse('target u extends tpu_v1_like { clock 1 GHz }').decls[0] as TargetDecl;
    expect(t.base).toEqual({ how: 'extends', name: { name: 'tpu_v1_like', loc: { file: 'f.kiln', line: 1, col: 18, length: 11 } } });
  });

  it('reads a train block with calls whose argument names are keywords', () => {
    const t = parse('train lenet5 { data mnist(train = 8000, test = 2000)  epochs 5  optimizer adam(lr = 1e-3) }').decls[0] as TrainDecl;
    expect(t.name.name).toBe('lenet5');
    expect(t.items.map(showItem)).toEqual(['data', 'mnist(train=8000, test=2000)', 'epochs', '5', 'optimizer', 'adam(lr=1e-3)']);
  });
});
