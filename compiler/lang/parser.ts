/**
 * The .kiln grammar as a Chevrotain CstParser with error recovery on, so one run can report
 * every syntax error in a file rather than only the first.
 */
import { CstParser, type CstNode, type IRecognitionException, type ILexingError } from 'chevrotain';
import * as T from './tokens.ts';

class KilnParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  file = this.RULE('file', () => {
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.networkDecl) },
        { ALT: () => this.SUBRULE(this.targetDecl) },
        { ALT: () => this.SUBRULE(this.trainDecl) },
      ]),
    );
  });

  importDecl = this.RULE('importDecl', () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral);
  });

  networkDecl = this.RULE('networkDecl', () => {
    this.CONSUME(T.Network);
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.paramList));
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(T.RBrace);
  });

  paramList = this.RULE('paramList', () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.param) });
    this.CONSUME(T.RParen);
  });

  param = this.RULE('param', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expr);
    });
  });

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.inputDecl) },
      { ALT: () => this.SUBRULE(this.outputDecl) },
      { ALT: () => this.SUBRULE(this.timestepsDecl) },
      { ALT: () => this.SUBRULE(this.assignment) },
    ]);
  });

  inputDecl = this.RULE('inputDecl', () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Colon);
    this.CONSUME2(T.Identifier, { LABEL: 'dtype' });
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expr) });
    this.CONSUME(T.RBracket);
  });

  outputDecl = this.RULE('outputDecl', () => {
    this.CONSUME(T.Output);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.Identifier) });
  });

  timestepsDecl = this.RULE('timestepsDecl', () => {
    this.CONSUME(T.Timesteps);
    this.SUBRULE(this.expr);
  });

  assignment = this.RULE('assignment', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.AT_LEAST_ONE_SEP({ SEP: T.Arrow, DEF: () => this.SUBRULE(this.call) });
  });

  call = this.RULE('call', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.argList));
  });

  argList = this.RULE('argList', () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.arg) });
    this.CONSUME(T.RParen);
  });

  arg = this.RULE('arg', () => {
    this.OPTION(() => {
      this.CONSUME(T.AnyName, { LABEL: 'argName' });
      this.CONSUME(T.Equals);
    });
    this.SUBRULE(this.expr);
    // A qualifier (`weights = i8 per_channel`) must end the argument, so a missing ')' at the end
    // of a line is reported there rather than swallowing the next line's first word.
    this.OPTION2({
      GATE: () => [T.Comma, T.RParen].includes(this.LA(2).tokenType),
      DEF: () => this.CONSUME2(T.AnyName, { LABEL: 'qualifier' }),
    });
  });

  expr = this.RULE('expr', () => {
    this.SUBRULE(this.term, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus, { LABEL: 'ops' }) }, { ALT: () => this.CONSUME(T.Minus, { LABEL: 'ops' }) }]);
      this.SUBRULE2(this.term, { LABEL: 'operands' });
    });
  });

  term = this.RULE('term', () => {
    this.SUBRULE(this.unary, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Star, { LABEL: 'ops' }) },
        { ALT: () => this.CONSUME(T.Slash, { LABEL: 'ops' }) },
        { ALT: () => this.CONSUME(T.Percent, { LABEL: 'ops' }) },
      ]);
      this.SUBRULE2(this.unary, { LABEL: 'operands' });
    });
  });

  unary = this.RULE('unary', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Minus);
          this.SUBRULE(this.unary);
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  primary = this.RULE('primary', () => {
    this.OR([
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
          this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE2(this.expr) });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });

  targetDecl = this.RULE('targetDecl', () => {
    this.CONSUME(T.Target);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OR([
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
    ]);
    this.SUBRULE(this.block);
  });

  trainDecl = this.RULE('trainDecl', () => {
    this.CONSUME(T.Train);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.block);
  });

  block = this.RULE('block', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.item));
    this.CONSUME(T.RBrace);
  });

  item = this.RULE('item', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.wordItem) },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Minus));
          this.CONSUME(T.NumberLiteral);
          this.OPTION2(() => this.CONSUME(T.Unit));
        },
      },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.SUBRULE(this.block) },
    ]);
  });

  wordItem = this.RULE('wordItem', () => {
    this.CONSUME(T.AnyName, { LABEL: 'Identifier' });
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.AnyName, { LABEL: 'Identifier' });
    });
    this.OPTION(() => this.SUBRULE(this.argList));
  });
}

export const parser = new KilnParser();

export interface ParseResult {
  cst: CstNode;
  lexErrors: ILexingError[];
  parseErrors: IRecognitionException[];
}

export function parseText(text: string): ParseResult {
  const lexed = T.kilnLexer.tokenize(text);
  parser.input = lexed.tokens;
  const cst = parser.file();
  return { cst, lexErrors: lexed.errors, parseErrors: [...parser.errors] };
}
