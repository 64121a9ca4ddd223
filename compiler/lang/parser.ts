/**
 * The .kiln grammar as a Chevrotain CstParser with error recovery on, so one run can report
 * every syntax error in a file rather than only the first.
 *
 * Every closure handed to OR/MANY/OPTION is created once, as a field, not inline in the rule:
 * rules run once per use, and tsx's transform wraps each new closure in a naming helper, which
 * made inline closures the largest cost of parsing a 10,000-layer network.
 */
import { CstParser, type CstNode, type IRecognitionException, type ILexingError, type IToken } from 'chevrotain';
import * as T from './tokens.ts';

class KilnParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: 'full' });
    this.performSelfAnalysis();
  }

  // ---- shared closures -------------------------------------------------------------------
  private readonly topAlts = [
    { ALT: () => this.SUBRULE(this.importDecl) },
    { ALT: () => this.SUBRULE(this.networkDecl) },
    { ALT: () => this.SUBRULE(this.targetDecl) },
    { ALT: () => this.SUBRULE(this.trainDecl) },
  ];
  private readonly topItem = () => this.OR(this.topAlts);
  private readonly paramListOpt = () => this.SUBRULE(this.paramList);
  private readonly statementItem = () => this.SUBRULE(this.statement);
  private readonly paramSep = { SEP: T.Comma, DEF: () => this.SUBRULE(this.param) };
  private readonly paramDefault = () => {
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expr);
  };
  private readonly statementAlts = [
    { ALT: () => this.SUBRULE(this.inputDecl) },
    { ALT: () => this.SUBRULE(this.outputDecl) },
    { ALT: () => this.SUBRULE(this.timestepsDecl) },
    { ALT: () => this.SUBRULE(this.assignment) },
  ];
  private readonly dimSep = { SEP: T.Comma, DEF: () => this.SUBRULE(this.expr) };
  private readonly outputSep = { SEP: T.Comma, DEF: () => this.CONSUME(T.Identifier) };
  private readonly chainSep = { SEP: T.Arrow, DEF: () => this.SUBRULE(this.call) };
  private readonly argListOpt = () => this.SUBRULE(this.argList);
  private readonly argSep = { SEP: T.Comma, DEF: () => this.SUBRULE(this.arg) };
  private readonly argName = () => {
    this.CONSUME(T.AnyName, { LABEL: 'argName' });
    this.CONSUME(T.Equals);
  };
  // A qualifier (`weights = i8 per_channel`) must end the argument, so a missing ')' at the end
  // of a line is reported there rather than swallowing the next line's first word.
  private readonly qualifier = {
    GATE: () => {
      const next = this.LA(2).tokenType;
      return next === T.Comma || next === T.RParen;
    },
    DEF: () => this.CONSUME2(T.AnyName, { LABEL: 'qualifier' }),
  };
  private readonly addOps = [{ ALT: () => this.CONSUME(T.Plus, { LABEL: 'ops' }) }, { ALT: () => this.CONSUME(T.Minus, { LABEL: 'ops' }) }];
  private readonly addTail = () => {
    this.OR(this.addOps);
    this.SUBRULE2(this.term, { LABEL: 'operands' });
  };
  private readonly mulOps = [
    { ALT: () => this.CONSUME(T.Star, { LABEL: 'ops' }) },
    { ALT: () => this.CONSUME(T.Slash, { LABEL: 'ops' }) },
    { ALT: () => this.CONSUME(T.Percent, { LABEL: 'ops' }) },
  ];
  private readonly mulTail = () => {
    this.OR(this.mulOps);
    this.SUBRULE2(this.factor, { LABEL: 'operands' });
  };
  private readonly minus = () => this.CONSUME(T.Minus);
  private readonly listSep = { SEP: T.Comma, DEF: () => this.SUBRULE2(this.expr) };
  private readonly primaryAlts = [
    { ALT: () => this.CONSUME(T.NumberLiteral) },
    { ALT: () => this.CONSUME(T.StringLiteral) },
    { ALT: () => this.CONSUME(T.AnyName, { LABEL: 'Identifier' }) },
    {
      ALT: () => {
        this.CONSUME(T.LParen);
        this.SUBRULE(this.expr);
        this.CONSUME(T.RParen);
      },
    },
    {
      ALT: () => {
        this.CONSUME(T.LBracket);
        this.MANY_SEP(this.listSep);
        this.CONSUME(T.RBracket);
      },
    },
  ];
  private readonly targetBaseAlts = [
    {
      ALT: () => {
        this.CONSUME(T.Colon);
        this.CONSUME2(T.Identifier, { LABEL: 'kind' });
      },
    },
    {
      ALT: () => {
        this.CONSUME(T.Extends);
        this.CONSUME3(T.Identifier, { LABEL: 'base' });
      },
    },
  ];
  private readonly blockItem = () => this.SUBRULE(this.item);
  private readonly itemAlts = [
    { ALT: () => this.SUBRULE(this.wordItem) },
    {
      ALT: () => {
        this.OPTION(this.minus);
        this.CONSUME(T.NumberLiteral);
        this.OPTION2(this.unit);
      },
    },
    { ALT: () => this.CONSUME(T.StringLiteral) },
    { ALT: () => this.SUBRULE(this.block) },
  ];
  private readonly unit = () => this.CONSUME(T.Unit);
  private readonly dottedTail = () => {
    this.CONSUME(T.Dot);
    this.CONSUME2(T.AnyName, { LABEL: 'Identifier' });
  };

  // ---- rules --------------------------------------------------------------------------------
  file = this.RULE('file', () => {
    this.MANY(this.topItem);
  });

  importDecl = this.RULE('importDecl', () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral);
  });

  networkDecl = this.RULE('networkDecl', () => {
    this.CONSUME(T.Network);
    this.CONSUME(T.Identifier);
    this.OPTION(this.paramListOpt);
    this.CONSUME(T.LBrace);
    this.MANY(this.statementItem);
    this.CONSUME(T.RBrace);
  });

  paramList = this.RULE('paramList', () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP(this.paramSep);
    this.CONSUME(T.RParen);
  });

  param = this.RULE('param', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(this.paramDefault);
  });

  statement = this.RULE('statement', () => {
    this.OR(this.statementAlts);
  });

  inputDecl = this.RULE('inputDecl', () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Colon);
    this.CONSUME2(T.Identifier, { LABEL: 'dtype' });
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP(this.dimSep);
    this.CONSUME(T.RBracket);
  });

  outputDecl = this.RULE('outputDecl', () => {
    this.CONSUME(T.Output);
    this.AT_LEAST_ONE_SEP(this.outputSep);
  });

  timestepsDecl = this.RULE('timestepsDecl', () => {
    this.CONSUME(T.Timesteps);
    this.SUBRULE(this.expr);
  });

  assignment = this.RULE('assignment', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.AT_LEAST_ONE_SEP(this.chainSep);
  });

  call = this.RULE('call', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(this.argListOpt);
  });

  argList = this.RULE('argList', () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP(this.argSep);
    this.CONSUME(T.RParen);
  });

  arg = this.RULE('arg', () => {
    this.OPTION(this.argName);
    this.SUBRULE(this.expr);
    this.OPTION2(this.qualifier);
  });

  expr = this.RULE('expr', () => {
    this.SUBRULE(this.term, { LABEL: 'operands' });
    this.MANY(this.addTail);
  });

  term = this.RULE('term', () => {
    this.SUBRULE(this.factor, { LABEL: 'operands' });
    this.MANY(this.mulTail);
  });

  /** Unary minus and a primary in one rule: one rule call less per value. */
  factor = this.RULE('factor', () => {
    this.MANY(this.minus);
    this.OR(this.primaryAlts);
  });

  targetDecl = this.RULE('targetDecl', () => {
    this.CONSUME(T.Target);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OR(this.targetBaseAlts);
    this.SUBRULE(this.block);
  });

  trainDecl = this.RULE('trainDecl', () => {
    this.CONSUME(T.Train);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.block);
  });

  block = this.RULE('block', () => {
    this.CONSUME(T.LBrace);
    this.MANY(this.blockItem);
    this.CONSUME(T.RBrace);
  });

  item = this.RULE('item', () => {
    this.OR(this.itemAlts);
  });

  wordItem = this.RULE('wordItem', () => {
    this.CONSUME(T.AnyName, { LABEL: 'Identifier' });
    this.MANY(this.dottedTail);
    this.OPTION(this.argListOpt);
  });
}

let shared: KilnParser | undefined;

/**
 * The parser, built on first use: its grammar analysis costs time and memory at start-up, and clean
 * sources never need it (direct-parse.ts reads them).
 */
export function kilnParser(): KilnParser {
  return (shared ??= new KilnParser());
}

export interface ParseResult {
  cst?: CstNode;
  lexErrors: ILexingError[];
  parseErrors: IRecognitionException[];
  /** The bracket that opens level MAX_NESTING + 1, when the text nests that deep (nothing is parsed). */
  tooDeep?: IToken;
}

/**
 * Deeper bracket nesting than this is refused before parsing. The parser recurses a few frames
 * per level, so thousands of levels exhaust the stack — but where exactly depends on how far the
 * JIT has optimised the parser, which made the outcome depend on what ran before. A fixed limit
 * far above any real program (and far below the stack) makes it the same every time.
 */
export const MAX_NESTING = 500;

function firstTooDeep(tokens: IToken[]): IToken | undefined {
  let depth = 0;
  for (const t of tokens) {
    const type = t.tokenType;
    if (type === T.LParen || type === T.LBracket || type === T.LBrace) {
      if (++depth > MAX_NESTING) return t;
    } else if (type === T.RParen || type === T.RBracket || type === T.RBrace) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

export function parseText(text: string): ParseResult {
  const lexed = T.kilnLexer().tokenize(text);
  const tooDeep = firstTooDeep(lexed.tokens);
  if (tooDeep) return { lexErrors: lexed.errors, parseErrors: [], tooDeep };
  const parser = kilnParser();
  parser.input = lexed.tokens;
  const cst = parser.file();
  const parseErrors = [...parser.errors];
  // The parser is shared: left in place, the token vector would live as long as the program.
  parser.input = [];
  return { cst, lexErrors: lexed.errors, parseErrors };
}
