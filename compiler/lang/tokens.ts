/**
 * The .kiln lexer. Units (MHz, MiB, pJ/word, GB/s …) are tokens of their own, and only directly
 * after a number on the same line, so `6 MiB` can never be read as `6 MB` and a layer named `s`
 * or `B` is still an identifier everywhere else.
 */
import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: 'Comment', pattern: /(?:#|\/\/)[^\n]*/, group: Lexer.SKIPPED });

/** Any word, keywords included: keywords stay usable as argument names (`mnist(train = 8000)`). */
export const AnyName = createToken({ name: 'AnyName', pattern: Lexer.NA });
export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [AnyName] });

const keyword = (name: string, word: string): TokenType =>
  createToken({ name, pattern: new RegExp(`${word}(?![A-Za-z0-9_])`), longer_alt: Identifier, categories: [AnyName] });

export const Network = keyword('Network', 'network');
export const Target = keyword('Target', 'target');
export const Train = keyword('Train', 'train');
export const Import = keyword('Import', 'import');
export const Input = keyword('Input', 'input');
export const Output = keyword('Output', 'output');
export const Extends = keyword('Extends', 'extends');
export const Timesteps = keyword('Timesteps', 'timesteps');

export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/,
});

/** Every unit Kiln knows, by dimension. The lexer accepts exactly these spellings. */
export const UNITS: Readonly<Record<string, { dimension: string; factor: number }>> = (() => {
  const u: Record<string, { dimension: string; factor: number }> = {};
  const add = (dimension: string, entries: Record<string, number>) => {
    for (const [k, f] of Object.entries(entries)) u[k] = { dimension, factor: f };
  };
  add('frequency', { Hz: 1, kHz: 1e3, MHz: 1e6, GHz: 1e9 });
  add('energy', { fJ: 1e-15, pJ: 1e-12, nJ: 1e-9, uJ: 1e-6, mJ: 1e-3, J: 1 });
  add('time', { ps: 1e-12, ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1 });
  add('power', { uW: 1e-6, mW: 1e-3, W: 1 });
  add('bytes', { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 });
  add('bits', { bit: 1, bits: 1 });
  add('bandwidth', { 'B/s': 1, 'KB/s': 1e3, 'MB/s': 1e6, 'GB/s': 1e9, 'KiB/s': 1024, 'MiB/s': 1024 ** 2, 'GiB/s': 1024 ** 3 });
  // Energy per event: the denominator names what is counted, so `pJ/word` and `pJ/bit` differ.
  for (const per of ['word', 'bit', 'byte', 'access', 'op', 'mac', 'spike', 'hop', 'event', 'update', 'instr']) {
    for (const [e, f] of Object.entries({ fJ: 1e-15, pJ: 1e-12, nJ: 1e-9 })) u[`${e}/${per}`] = { dimension: `energy/${per}`, factor: f };
  }
  add('bytes/cycle', { 'B/cycle': 1 });
  return u;
})();

const unitAlternatives = Object.keys(UNITS)
  .sort((a, b) => b.length - a.length)
  .map((k) => k.replace('/', '\\/'))
  .join('|');
const unitRegex = new RegExp(`(?:${unitAlternatives})(?![A-Za-z0-9_])`, 'y');

/** The unit spelled at `offset`, if any; the caller has checked it follows a number on the same line. */
export function unitAt(text: string, offset: number): string | undefined {
  unitRegex.lastIndex = offset;
  return unitRegex.exec(text)?.[0];
}

export const Unit = createToken({
  name: 'Unit',
  line_breaks: false,
  start_chars_hint: [...new Set(Object.keys(UNITS).map((k) => k[0]!))],
  pattern: {
    exec: (text: string, offset: number, matched: IToken[]): RegExpExecArray | null => {
      const prev = matched[matched.length - 1];
      if (!prev || prev.tokenType !== NumberLiteral) return null;
      const gap = text.slice(prev.endOffset! + 1, offset);
      if (gap.includes('\n')) return null;
      unitRegex.lastIndex = offset;
      return unitRegex.exec(text);
    },
  },
});

export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\\n]|\\.)*"/ });

export const Arrow = createToken({ name: 'Arrow', pattern: /->/ });
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/ });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/ });
export const LParen = createToken({ name: 'LParen', pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', pattern: /\)/ });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/ });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/ });
export const Comma = createToken({ name: 'Comma', pattern: /,/ });
export const Equals = createToken({ name: 'Equals', pattern: /=/ });
export const Colon = createToken({ name: 'Colon', pattern: /:/ });
export const Dot = createToken({ name: 'Dot', pattern: /\./ });
export const Plus = createToken({ name: 'Plus', pattern: /\+/ });
export const Minus = createToken({ name: 'Minus', pattern: /-/ });
export const Star = createToken({ name: 'Star', pattern: /\*/ });
export const Slash = createToken({ name: 'Slash', pattern: /\// });
export const Percent = createToken({ name: 'Percent', pattern: /%/ });

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  Unit, // before Identifier: only ever matches right after a number
  Network,
  Target,
  Train,
  Import,
  Input,
  Output,
  Extends,
  Timesteps,
  Identifier,
  AnyName,
  NumberLiteral,
  StringLiteral,
  Arrow,
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Equals,
  Colon,
  Dot,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
];

export const KEYWORDS = ['network', 'target', 'train', 'import', 'input', 'output', 'extends', 'timesteps'];

let lexer: Lexer | undefined;

/** Built on first use, like the parser: only text with a problem goes through Chevrotain. */
export const kilnLexer = (): Lexer => (lexer ??= new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false }));
