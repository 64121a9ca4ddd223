/** Evaluates parameter arithmetic (`2 * c`, `batch / 2`) in a network's parameter environment. */
import type { SourceValue } from '../ir/attrs.ts';
import type { Expr } from './ast.ts';
import { didYouMean, error, type Diagnostic } from './diagnostics.ts';
import { LIMITS, numberProblem } from '../ir/limits.ts';

export type Env = ReadonlyMap<string, number>;

export class EvalError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

/** The result of arithmetic at `e`, refused when it leaves Kiln's range (below 2^53). */
function num(value: number, e: Expr): SourceValue {
  const why = numberProblem(value);
  if (why) throw new EvalError(error('too-large', `the value of this expression: ${why}`, e.loc, 'see "Limits" in docs/language.md'));
  return { kind: 'number', value, isInt: Number.isInteger(value) };
}

function asNumber(v: SourceValue, e: Expr): number {
  if (v.kind === 'number') return v.value;
  throw new EvalError(error('attr-type', `arithmetic needs numbers, not ${v.kind === 'word' ? '`' + v.word + '`' : 'a ' + v.kind}`, e.loc));
}

/**
 * Evaluate an expression. A bare word that is not a parameter evaluates to itself (an enum such
 * as `batchwise` or a precision such as `i8`); inside arithmetic it must be a parameter.
 */
export function evaluate(e: Expr, env: Env, inArithmetic = false): SourceValue {
  switch (e.kind) {
    case 'number':
      return { kind: 'number', value: e.value, isInt: e.isInt };
    case 'string':
      return { kind: 'string', value: e.value };
    case 'name': {
      const v = env.get(e.name);
      if (v !== undefined) return num(v, e);
      if (inArithmetic) throw new EvalError(error('undefined-name', `undefined parameter \`${e.name}\``, e.loc, didYouMean(e.name, env.keys()) ?? 'declare it in the network\'s parameter list: `network n(' + e.name + ' = 1)`'));
      return { kind: 'word', word: e.name };
    }
    case 'list':
      return { kind: 'list', items: e.items.map((i) => evaluate(i, env)) };
    case 'neg': {
      const v = asNumber(evaluate(e.operand, env, true), e.operand);
      return num(-v, e);
    }
    case 'binary': {
      const l = evaluate(e.left, env, true);
      const r = evaluate(e.right, env, true);
      const a = asNumber(l, e.left);
      const b = asNumber(r, e.right);
      switch (e.op) {
        case '+': return num(a + b, e);
        case '-': return num(a - b, e);
        case '*': return num(a * b, e);
        case '/':
          if (b === 0) throw new EvalError(error('attr-type', 'division by zero', e.loc));
          return num(a / b, e);
        case '%':
          if (!Number.isInteger(a) || !Number.isInteger(b) || b === 0) throw new EvalError(error('attr-type', '`%` needs integers and a non-zero divisor', e.loc));
          return num(a % b, e);
      }
    }
  }
}

/** Evaluate to a positive integer (dimensions, time steps). */
export function evaluateDim(e: Expr, env: Env, what: string): number {
  const v = evaluate(e, env, true);
  if (v.kind !== 'number' || !Number.isInteger(v.value) || v.value < 1) {
    throw new EvalError(error('attr-type', `${what} must be a positive integer, not ${v.kind === 'number' ? v.value : 'a ' + v.kind}`, e.loc));
  }
  if (v.value > LIMITS.maxDim) throw new EvalError(error('too-large', `${what} ${v.value} is larger than Kiln's largest dimension, 2^31 − 1 (${LIMITS.maxDim})`, e.loc, 'see "Limits" in docs/language.md'));
  return v.value;
}
