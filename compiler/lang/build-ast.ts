/**
 * CST → typed AST. Also turns lexing and parsing errors into Kiln diagnostics with positions and
 * messages written for people (`expected ')' but found 'x'`), not Chevrotain's token-type names.
 */
import type { CstNode, IToken, CstElement } from 'chevrotain';
import { MAX_NESTING, parseText } from './parser.ts';
import { error, type Diagnostic } from './diagnostics.ts';
import type { Arg, Call, Decl, Expr, FileAst, ImportDecl, Item, Loc, Name, NetworkDecl, Param, Statement } from './ast.ts';
import { KEYWORDS } from './tokens.ts';
import { isReservedName, reservedNameHint } from '../ir/module.ts';
import { numberProblem } from '../ir/limits.ts';
import { numberExpr, parseDirect } from './direct-parse.ts';

type Children = Record<string, CstElement[] | undefined>;

const TOKEN_TEXT: Record<string, string> = {
  LBrace: "'{'", RBrace: "'}'", LParen: "'('", RParen: "')'", LBracket: "'['", RBracket: "']'",
  Comma: "','", Equals: "'='", Colon: "':'", Dot: "'.'", Arrow: "'->'", Plus: "'+'", Minus: "'-'",
  Star: "'*'", Slash: "'/'", Percent: "'%'", Identifier: 'a name', NumberLiteral: 'a number',
  StringLiteral: 'a string', Unit: 'a unit', EOF: 'end of file',
};
const tokenText = (name: string) => TOKEN_TEXT[name] ?? `'${name.toLowerCase()}'`;

function tokLoc(file: string, t: IToken): Loc {
  return { file, line: t.startLine ?? 1, col: t.startColumn ?? 1, length: Math.max(1, t.image.length) };
}

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

class AstBuilder {
  constructor(private readonly file: string, private readonly diagnostics: Diagnostic[]) {}
  private loc(t: IToken): Loc {
    return tokLoc(this.file, t);
  }
  private nodeLoc(n: CstNode): Loc {
    const l = n.location;
    if (!l || l.startLine === undefined || Number.isNaN(l.startLine)) return { file: this.file, line: 1, col: 1, length: 1 };
    const length = l.endOffset !== undefined && !Number.isNaN(l.endOffset) ? l.endOffset - l.startOffset + 1 : 1;
    return { file: this.file, line: l.startLine, col: l.startColumn ?? 1, length: Math.max(1, length) };
  }
  private tok(c: Children, key: string, i = 0): IToken | undefined {
    const e = c[key]?.[i];
    return e && isToken(e) ? e : undefined;
  }
  private nodes(c: Children, key: string): CstNode[] {
    return (c[key] ?? []).filter((e): e is CstNode => !isToken(e));
  }
  private name(t: IToken): Name {
    const loc = this.loc(t);
    if (isReservedName(t.image)) this.diagnostics.push(error('reserved-name', `\`${t.image}\` cannot be used as a name`, loc, reservedNameHint));
    return { name: t.image, loc };
  }
  /** A number literal, refused from 2^53 on (where doubles skip integers) or infinite. */
  private number(t: IToken, loc = this.loc(t)): Extract<Expr, { kind: 'number' }> {
    const e = numberExpr(t.image, loc);
    const why = numberProblem(e.value);
    if (why) this.diagnostics.push(error('too-large', `number ${t.image}: ${why}`, this.loc(t), 'see "Limits" in docs/language.md'));
    return e;
  }

  buildFile(node: CstNode): FileAst {
    const c = node.children as Children;
    const imports: ImportDecl[] = this.nodes(c, 'importDecl').map((n) => {
      const s = this.tok(n.children as Children, 'StringLiteral')!;
      return { path: JSON.parse(s.image) as string, loc: this.loc(s) };
    });
    const decls: Decl[] = [];
    for (const n of [...this.nodes(c, 'networkDecl'), ...this.nodes(c, 'targetDecl'), ...this.nodes(c, 'trainDecl')]) {
      if (n.recoveredNode) continue;
      if (n.name === 'networkDecl') decls.push(this.network(n));
      else if (n.name === 'targetDecl') decls.push(this.target(n));
      else decls.push(this.train(n));
    }
    decls.sort((a, b) => a.loc.line - b.loc.line || a.loc.col - b.loc.col);
    return { file: this.file, imports, decls };
  }

  private network(n: CstNode): NetworkDecl {
    const c = n.children as Children;
    const params: Param[] = [];
    for (const pl of this.nodes(c, 'paramList')) {
      for (const p of this.nodes(pl.children as Children, 'param')) {
        const pc = p.children as Children;
        const e = this.nodes(pc, 'expr')[0];
        params.push({ name: this.name(this.tok(pc, 'Identifier')!), default: e ? this.expr(e) : undefined });
      }
    }
    const body = this.nodes(c, 'statement')
      .filter((s) => !s.recoveredNode)
      .map((s) => this.statement(s));
    return { kind: 'network', name: this.name(this.tok(c, 'Identifier')!), params, body, loc: this.loc(this.tok(c, 'Network')!) };
  }

  private statement(n: CstNode): Statement {
    const inner = Object.values(n.children as Children)[0]![0] as CstNode;
    const c = inner.children as Children;
    const loc = this.nodeLoc(inner);
    switch (inner.name) {
      case 'inputDecl':
        return {
          kind: 'input',
          name: this.name(this.tok(c, 'name')!),
          dtype: this.name(this.tok(c, 'dtype')!),
          dims: this.nodes(c, 'expr').map((e) => this.expr(e)),
          loc,
        };
      case 'outputDecl':
        return { kind: 'output', names: (c.Identifier ?? []).filter(isToken).map((t) => this.name(t)), loc };
      case 'timestepsDecl':
        return { kind: 'timesteps', value: this.expr(this.nodes(c, 'expr')[0]!), loc };
      default:
        return {
          kind: 'assign',
          name: this.name(this.tok(c, 'Identifier')!),
          chain: this.nodes(c, 'call').map((k) => this.call(k)),
          loc,
        };
    }
  }

  private call(n: CstNode): Call {
    const c = n.children as Children;
    const argList = this.nodes(c, 'argList')[0];
    const callee = this.name(this.tok(c, 'Identifier')!);
    return { name: callee.name, loc: callee.loc, hasParens: !!argList, args: argList ? this.args(argList) : [] };
  }

  private args(n: CstNode): Arg[] {
    return this.nodes(n.children as Children, 'arg').map((a) => {
      const c = a.children as Children;
      const argName = this.tok(c, 'argName');
      const qualifier = this.tok(c, 'qualifier');
      return {
        name: argName ? this.name(argName) : undefined,
        value: this.expr(this.nodes(c, 'expr')[0]!),
        qualifier: qualifier ? this.name(qualifier) : undefined,
        loc: this.nodeLoc(a),
      };
    });
  }

  /** Left-associative folding of `operands (ops operands)*`. */
  private fold(n: CstNode, sub: (n: CstNode) => Expr): Expr {
    const c = n.children as Children;
    const operands = this.nodes(c, 'operands').map(sub);
    const ops = (c.ops ?? []).filter(isToken);
    let acc = operands[0]!;
    ops.forEach((op, i) => {
      acc = { kind: 'binary', op: op.image as '+', left: acc, right: operands[i + 1]!, loc: this.loc(op) };
    });
    return acc;
  }

  expr(n: CstNode): Expr {
    return this.fold(n, (t) => this.fold(t, (f) => this.factor(f)));
  }

  private factor(n: CstNode): Expr {
    const c = n.children as Children;
    let e = this.primary(c);
    const minuses = (c.Minus ?? []).filter(isToken);
    for (let i = minuses.length - 1; i >= 0; i--) {
      const loc = this.loc(minuses[i]!);
      e = e.kind === 'number' ? { ...e, value: -e.value, text: '-' + e.text, loc } : { kind: 'neg', operand: e, loc };
    }
    return e;
  }

  private primary(c: Children): Expr {
    const num = this.tok(c, 'NumberLiteral');
    if (num) return this.number(num);
    const str = this.tok(c, 'StringLiteral');
    if (str) return { kind: 'string', value: JSON.parse(str.image) as string, loc: this.loc(str) };
    const id = this.tok(c, 'Identifier');
    if (id) return { kind: 'name', name: id.image, loc: this.loc(id) };
    const bracket = this.tok(c, 'LBracket');
    if (bracket) return { kind: 'list', items: this.nodes(c, 'expr').map((e) => this.expr(e)), loc: this.loc(bracket) };
    return this.expr(this.nodes(c, 'expr')[0]!);
  }

  private target(n: CstNode): Decl {
    const c = n.children as Children;
    const kind = this.tok(c, 'kind');
    const base = kind ? { how: 'kind' as const, name: this.name(kind) } : { how: 'extends' as const, name: this.name(this.tok(c, 'base')!) };
    return { kind: 'target', name: this.name(this.tok(c, 'name')!), base, items: this.block(this.nodes(c, 'block')[0]!), loc: this.loc(this.tok(c, 'Target')!) };
  }

  private train(n: CstNode): Decl {
    const c = n.children as Children;
    return { kind: 'train', name: this.name(this.tok(c, 'Identifier')!), items: this.block(this.nodes(c, 'block')[0]!), loc: this.loc(this.tok(c, 'Train')!) };
  }

  private block(n: CstNode): Item[] {
    return this.nodes(n.children as Children, 'item')
      .filter((i) => !i.recoveredNode)
      .map((i) => this.item(i));
  }

  private item(n: CstNode): Item {
    const c = n.children as Children;
    const word = this.nodes(c, 'wordItem')[0];
    if (word) {
      const wc = word.children as Children;
      const argList = this.nodes(wc, 'argList')[0];
      const path = (wc.Identifier ?? []).filter(isToken).map((t) => this.name(t));
      return { kind: 'word', path, args: argList ? this.args(argList) : undefined, loc: path[0]!.loc };
    }
    const num = this.tok(c, 'NumberLiteral');
    if (num) {
      const minus = this.tok(c, 'Minus');
      const e = this.number(num, this.loc(minus ?? num));
      const unit = this.tok(c, 'Unit');
      return { kind: 'number', value: minus ? -e.value : e.value, isInt: e.isInt, unit: unit ? this.name(unit) : undefined, loc: e.loc };
    }
    const str = this.tok(c, 'StringLiteral');
    if (str) return { kind: 'string', value: JSON.parse(str.image) as string, loc: this.loc(str) };
    const block = this.nodes(c, 'block')[0]!;
    return { kind: 'block', items: this.block(block), loc: this.nodeLoc(block) };
  }
}

function describeFound(t: IToken): string {
  if (t.tokenType.name === 'EOF') return 'end of file';
  if (KEYWORDS.includes(t.image)) return `keyword '${t.image}'`;
  return `'${t.image}'`;
}

function parseErrorDiagnostic(file: string, e: { token: IToken; message: string; name: string; context?: { ruleStack: string[] } }, end: Loc): Diagnostic {
  const t = e.token;
  const found = describeFound(t);
  const rule = e.context?.ruleStack?.[e.context.ruleStack.length - 1] ?? '';
  const expected = /--> (\w+) <--/.exec(e.message)?.[1];
  let message: string;
  let hint: string | undefined;
  if ((e.name === 'MismatchedTokenException' && expected === 'EOF') || e.name === 'NotAllInputParsedException') {
    message = `unexpected ${found} at the top level`;
    hint = 'a .kiln file holds `import "file"`, `network`, `target` and `train` blocks';
  } else if (e.name === 'MismatchedTokenException' && expected) {
    message = `expected ${tokenText(expected)} but found ${found}`;
    if (expected === 'RParen') hint = 'arguments are separated by commas: `conv2d(x, filters = 6, kernel = 5)`';
    if (expected === 'RBrace' && rule === 'networkDecl') hint = 'a network body holds `input`, `output`, `timesteps` and `name = op(...) -> op` lines';
  } else {
    message = `unexpected ${found}${rule ? ` in ${ruleDescription(rule)}` : ''}`;
    if (rule === 'statement' || rule === 'networkDecl') hint = 'a network body holds `input`, `output`, `timesteps` and `name = op(...) -> op` lines';
  }
  const line = Number.isNaN(t.startLine) || t.startLine === undefined ? undefined : t.startLine;
  return error('syntax', message, line ? { file, line, col: t.startColumn ?? 1, length: Math.max(1, t.image.length) } : end, hint);
}

function ruleDescription(rule: string): string {
  const d: Record<string, string> = {
    file: 'the file', networkDecl: 'a network', statement: 'a network body', primary: 'an expression', unary: 'an expression',
    expr: 'an expression', arg: 'an argument', item: 'a block', targetDecl: 'a target', trainDecl: 'a train block', call: 'a layer chain',
    inputDecl: 'an input declaration', factor: 'an expression', outputDecl: 'an output declaration', assignment: 'a layer definition',
  };
  return d[rule] ?? rule;
}

export interface AstResult {
  ast?: FileAst;
  diagnostics: Diagnostic[];
}

/**
 * Lex, parse and build the AST of one file; the AST is absent when there were syntax errors.
 * Clean text is read directly (direct-parse.ts: a fraction of the memory); anything else goes
 * through the recovering parser, which reports every problem.
 */
export function parseFile(text: string, file: string): AstResult {
  const direct = parseDirect(text, file);
  return direct ? { ast: direct, diagnostics: [] } : parseWithRecovery(text, file);
}

/** Chevrotain's parser and the CST visitor: every syntax error, or the AST. */
export function parseWithRecovery(text: string, file: string): AstResult {
  const { cst, lexErrors, parseErrors, tooDeep } = parseText(text);
  if (tooDeep) {
    return { diagnostics: [error('too-deep', `${file} is nested too deeply to compile: more than ${MAX_NESTING} levels of brackets`, { file, line: tooDeep.startLine ?? 1, col: tooDeep.startColumn ?? 1, length: 1 }, 'split the deepest expression, list or block into smaller ones')] };
  }
  const diagnostics: Diagnostic[] = lexErrors.map((e) => {
    const ch = text.slice(e.offset, e.offset + e.length);
    return error('lex', `unexpected character '${ch}'`, { file, line: e.line ?? 1, col: e.column ?? 1, length: e.length }, ch === '"' ? 'strings end on the same line: "…"' : undefined);
  });
  // The EOF token has no position: point just past the last text, where the missing part belongs.
  const lines = text.trimEnd().split(/\r\n?|\n/);
  const end: Loc = { file, line: lines.length, col: lines[lines.length - 1]!.length + 1, length: 1 };
  diagnostics.push(...parseErrors.map((e) => parseErrorDiagnostic(file, e as never, end)));
  diagnostics.sort((a, b) => a.pos!.line - b.pos!.line || a.pos!.col - b.pos!.col);
  if (diagnostics.length > 0) return { diagnostics };
  const ast = new AstBuilder(file, diagnostics).buildFile(cst!);
  diagnostics.sort((a, b) => a.pos!.line - b.pos!.line || a.pos!.col - b.pos!.col);
  return diagnostics.length > 0 ? { diagnostics } : { ast, diagnostics };
}
