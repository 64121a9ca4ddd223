/**
 * A lean reader of well-formed .kiln text straight into the AST, lexing as it goes. Chevrotain's
 * parser holds every token (~200 bytes each) and a full syntax tree (~600 bytes a token) at once:
 * for a 2 MB source that is ~500 MB before the first AST node exists. This reader holds one token
 * at a time and builds the same AST the CST visitor builds (test/lang/direct-parse.test.ts
 * compares them). It gives up — returns undefined — on anything but clean input (a lexing or
 * syntax error, a reserved name, an out-of-range number, nesting past MAX_NESTING), and the
 * caller then runs the Chevrotain parser, whose error recovery words every problem.
 */
import type { Arg, Call, Decl, Expr, FileAst, ImportDecl, Item, Loc, Name, NetworkDecl, Param, Statement } from './ast.ts';
import { KEYWORDS, unitAt } from './tokens.ts';
import { MAX_NESTING } from './parser.ts';
import { isReservedName } from '../ir/module.ts';
import { numberProblem } from '../ir/limits.ts';

/** Punctuation, longest first where one is a prefix of another (`->` before `-`). */
const PUNCT = ['->', '{', '}', '(', ')', '[', ']', ',', '=', ':', '.', '+', '-', '*', '/', '%'];
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\n]|\\.)*"/y;
const SKIP = /(?:[ \t\r\n]+|(?:#|\/\/)[^\n]*)+/y;
const KEYWORD_SET = new Set(KEYWORDS);

/** `id` a plain name, `kw` a keyword, `num`, `unit`, `str`, `eof`, or the punctuation itself. */
interface Tok { type: string; image: string; start: number; line: number; col: number }

class GiveUp extends Error {}

/** The argument list of every bare call (`-> relu`): nothing ever adds to one, so they can share it. */
const NO_ARGS: Arg[] = Object.freeze([]) as unknown as Arg[];

class DirectParser {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  /** The last token lexed (a unit must follow a number) and the last one consumed (where a node ends). */
  private prev: Tok | undefined;
  private last: Tok | undefined;
  private readonly ahead: Tok[] = [];
  /** Bracket depth, counted over tokens as the full parser's guard counts it. */
  private depth = 0;
  /** One string per distinct word or number: `relu` 262,144 times is one string, not 262,144. */
  private readonly images = new Map<string, string>();

  constructor(private readonly text: string, private readonly file: string) {}

  /** Advance over `end - pos` characters, counting line terminators (\n, \r\n and \r). */
  private moveTo(end: number): void {
    const t = this.text;
    for (let i = this.pos; i < end; i++) {
      const c = t.charCodeAt(i);
      if (c === 10 || (c === 13 && t.charCodeAt(i + 1) !== 10)) {
        this.line++;
        this.lineStart = i + 1;
      }
    }
    this.pos = end;
  }

  private match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const s = re.exec(this.text)?.[0];
    if (s === undefined || s.length > 32) return s;
    const seen = this.images.get(s);
    if (seen !== undefined) return seen;
    this.images.set(s, s);
    return s;
  }

  private lex(): Tok {
    const skipped = this.match(SKIP);
    const sawNewline = skipped !== undefined && skipped.includes('\n');
    if (skipped) this.moveTo(this.pos + skipped.length);
    const at = { start: this.pos, line: this.line, col: this.pos - this.lineStart + 1 };
    if (this.pos >= this.text.length) return { type: 'eof', image: '', ...at };
    // The lexer's order: a unit only right after a number on its line, then words, numbers, strings.
    const unit = this.prev?.type === 'num' && !sawNewline ? unitAt(this.text, this.pos) : undefined;
    let tok: Tok | undefined;
    if (unit !== undefined) tok = { type: 'unit', image: unit, ...at };
    else {
      const word = this.match(WORD);
      if (word !== undefined) tok = { type: KEYWORD_SET.has(word) ? 'kw' : 'id', image: word, ...at };
      else {
        const num = this.match(NUMBER);
        const str = num === undefined ? this.match(STRING) : undefined;
        const punct = num === undefined && str === undefined ? PUNCT.find((p) => this.text.startsWith(p, this.pos)) : undefined;
        if (num !== undefined) tok = { type: 'num', image: num, ...at };
        else if (str !== undefined) tok = { type: 'str', image: str, ...at };
        else if (punct !== undefined) tok = { type: punct, image: punct, ...at };
        else throw new GiveUp();
      }
    }
    this.moveTo(this.pos + tok.image.length);
    this.prev = tok;
    if (tok.type === '(' || tok.type === '[' || tok.type === '{') {
      if (++this.depth > MAX_NESTING) throw new GiveUp();
    } else if (tok.type === ')' || tok.type === ']' || tok.type === '}') this.depth = Math.max(0, this.depth - 1);
    return tok;
  }

  private la(k = 1): Tok {
    while (this.ahead.length < k) this.ahead.push(this.lex());
    return this.ahead[k - 1]!;
  }

  private next(): Tok {
    this.last = this.ahead.length ? this.ahead.shift()! : this.lex();
    return this.last;
  }

  private expect(type: string, image?: string): Tok {
    const t = this.next();
    if (t.type !== type || (image !== undefined && t.image !== image)) throw new GiveUp();
    return t;
  }

  private is(type: string, image?: string, k = 1): boolean {
    const t = this.la(k);
    return t.type === type && (image === undefined || t.image === image);
  }

  private isAnyName(k = 1): boolean {
    const type = this.la(k).type;
    return type === 'id' || type === 'kw';
  }

  private loc(t: Tok): Loc {
    return { file: this.file, line: t.line, col: t.col, length: Math.max(1, t.image.length) };
  }

  /** A node's location: from its first token to the end of the last one read. */
  private span(first: Tok): Loc {
    const end = this.last!.start + this.last!.image.length;
    return { file: this.file, line: first.line, col: first.col, length: Math.max(1, end - first.start) };
  }

  private name(t: Tok): Name {
    if (isReservedName(t.image)) throw new GiveUp();
    return { name: t.image, loc: this.loc(t) };
  }

  private number(t: Tok, loc = this.loc(t)): Extract<Expr, { kind: 'number' }> {
    const e = numberExpr(t.image, loc);
    if (numberProblem(e.value)) throw new GiveUp();
    return e;
  }

  fileAst(): FileAst {
    const imports: ImportDecl[] = [];
    const decls: Decl[] = [];
    while (!this.is('eof')) {
      const t = this.expect('kw');
      if (t.image === 'import') {
        const s = this.expect('str');
        imports.push({ path: JSON.parse(s.image) as string, loc: this.loc(s) });
      } else if (t.image === 'network') decls.push(this.network(t));
      else if (t.image === 'target') {
        const name = this.name(this.expect('id'));
        const how = this.next();
        const base = how.type === ':' ? { how: 'kind' as const, name: this.name(this.expect('id')) } : how.image === 'extends' && how.type === 'kw' ? { how: 'extends' as const, name: this.name(this.expect('id')) } : undefined;
        if (!base) throw new GiveUp();
        decls.push({ kind: 'target', name, base, items: this.block(), loc: this.loc(t) });
      } else if (t.image === 'train') decls.push({ kind: 'train', name: this.name(this.expect('id')), items: this.block(), loc: this.loc(t) });
      else throw new GiveUp();
    }
    return { file: this.file, imports, decls };
  }

  private network(kw: Tok): NetworkDecl {
    const name = this.name(this.expect('id'));
    const params: Param[] = [];
    if (this.is('(')) {
      this.next();
      this.separated(')', () => {
        const p = this.name(this.expect('id'));
        params.push({ name: p, default: this.is('=') ? (this.next(), this.expr()) : undefined });
      });
    }
    this.expect('{');
    const body: Statement[] = [];
    while (!this.is('}')) body.push(this.statement());
    this.next();
    return { kind: 'network', name, params, body, loc: this.loc(kw) };
  }

  /** `item (sep item)*` up to `close` (consumed); none at all when `close` comes first. */
  private separated(close: string, item: () => void, sep = ','): void {
    if (!this.is(close)) {
      item();
      while (this.is(sep)) {
        this.next();
        item();
      }
    }
    this.expect(close);
  }

  private statement(): Statement {
    const first = this.next();
    if (first.type === 'kw' && first.image === 'input') {
      const name = this.name(this.expect('id'));
      this.expect(':');
      const dtype = this.name(this.expect('id'));
      this.expect('[');
      const dims: Expr[] = [this.expr()];
      while (this.is(',')) dims.push((this.next(), this.expr()));
      this.expect(']');
      return { kind: 'input', name, dtype, dims, loc: this.span(first) };
    }
    if (first.type === 'kw' && first.image === 'output') {
      const names = [this.name(this.expect('id'))];
      while (this.is(',')) names.push((this.next(), this.name(this.expect('id'))));
      return { kind: 'output', names, loc: this.span(first) };
    }
    if (first.type === 'kw' && first.image === 'timesteps') return { kind: 'timesteps', value: this.expr(), loc: this.span(first) };
    if (first.type !== 'id') throw new GiveUp();
    const name = this.name(first);
    this.expect('=');
    const chain: Call[] = [this.call()];
    while (this.is('->')) chain.push((this.next(), this.call()));
    return { kind: 'assign', name, chain, loc: this.span(first) };
  }

  private call(): Call {
    const callee = this.name(this.expect('id'));
    const hasParens = this.is('(');
    const args = hasParens ? this.args() : NO_ARGS;
    return { name: callee.name, loc: callee.loc, hasParens, args };
  }

  private args(): Arg[] {
    this.expect('(');
    const args: Arg[] = [];
    this.separated(')', () => {
        const first = this.la();
        const name = this.isAnyName() && this.is('=', undefined, 2) ? this.name(this.next()) : undefined;
        if (name) this.next();
        const value = this.expr();
        // A qualifier must end the argument (the grammar's gate): a word followed by ',' or ')'.
        const qualifier = this.isAnyName() && (this.is(',', undefined, 2) || this.is(')', undefined, 2)) ? this.name(this.next()) : undefined;
        args.push({ name, value, qualifier, loc: this.span(first) });
    });
    return args;
  }

  /** Left-associative `operand (op operand)*`. */
  private fold(ops: string, operand: () => Expr): Expr {
    let acc = operand();
    while (ops.includes(this.la().type) && this.la().type.length === 1) {
      const op = this.next();
      acc = { kind: 'binary', op: op.image as '+', left: acc, right: operand(), loc: this.loc(op) };
    }
    return acc;
  }

  private expr(): Expr {
    return this.fold('+-', () => this.fold('*/%', () => this.factor()));
  }

  private factor(): Expr {
    const minuses: Tok[] = [];
    while (this.is('-')) minuses.push(this.next());
    let e = this.primary();
    for (let i = minuses.length - 1; i >= 0; i--) {
      const loc = this.loc(minuses[i]!);
      e = e.kind === 'number' ? { ...e, value: -e.value, text: '-' + e.text, loc } : { kind: 'neg', operand: e, loc };
    }
    return e;
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.type) {
      case 'num': return this.number(t);
      case 'str': return { kind: 'string', value: JSON.parse(t.image) as string, loc: this.loc(t) };
      case 'id': case 'kw': return { kind: 'name', name: t.image, loc: this.loc(t) };
      case '(': {
        const e = this.expr();
        this.expect(')');
        return e;
      }
      case '[': {
        const items: Expr[] = [];
        this.separated(']', () => items.push(this.expr()));
        return { kind: 'list', items, loc: this.loc(t) };
      }
      default: throw new GiveUp();
    }
  }

  private block(): Item[] {
    this.expect('{');
    const items: Item[] = [];
    while (!this.is('}')) items.push(this.item());
    this.next();
    return items;
  }

  private item(): Item {
    if (this.isAnyName()) {
      const path = [this.name(this.next())];
      while (this.is('.')) {
        this.next();
        if (!this.isAnyName()) throw new GiveUp();
        path.push(this.name(this.next()));
      }
      return { kind: 'word', path, args: this.is('(') ? this.args() : undefined, loc: path[0]!.loc };
    }
    if (this.is('num') || (this.is('-') && this.is('num', undefined, 2))) {
      const minus = this.is('-') ? this.next() : undefined;
      const num = this.next();
      const e = this.number(num, this.loc(minus ?? num));
      const unit = this.is('unit') ? this.name(this.next()) : undefined;
      return { kind: 'number', value: minus ? -e.value : e.value, isInt: e.isInt, unit, loc: e.loc };
    }
    if (this.is('str')) {
      const s = this.next();
      return { kind: 'string', value: JSON.parse(s.image) as string, loc: this.loc(s) };
    }
    if (!this.is('{')) throw new GiveUp();
    const first = this.la();
    const items = this.block();
    return { kind: 'block', items, loc: this.span(first) };
  }
}

/** The AST of clean text, or undefined when the text has any problem for the full parser to report. */
export function parseDirect(text: string, file: string): FileAst | undefined {
  try {
    return new DirectParser(text, file).fileAst();
  } catch (e) {
    if (e instanceof GiveUp) return undefined;
    throw e;
  }
}

export function numberExpr(text: string, loc: Loc): Extract<Expr, { kind: 'number' }> {
  const isInt = /^\d+$/.test(text);
  return { kind: 'number', value: Number(text), isInt, text, loc };
}
