/**
 * The typed AST the CST visitor builds. Every node keeps its location so later stages can point
 * at the exact text. Target and train blocks are kept as flat item lists here: their grouping into
 * properties is driven by each kind's schema (see items.ts), which gives better errors than a
 * grammar that has to guess where one property ends and the next begins.
 */
import type { SourcePos } from './diagnostics.ts';

export type Loc = Required<SourcePos>;

export type Expr =
  | { kind: 'number'; value: number; isInt: boolean; text: string; loc: Loc }
  | { kind: 'string'; value: string; loc: Loc }
  | { kind: 'name'; name: string; loc: Loc }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/' | '%'; left: Expr; right: Expr; loc: Loc }
  | { kind: 'neg'; operand: Expr; loc: Loc }
  | { kind: 'list'; items: Expr[]; loc: Loc };

export interface Name {
  name: string;
  loc: Loc;
}

export interface Arg {
  /** Present for `name = value` arguments. */
  name?: Name;
  value: Expr;
  /** A trailing word after the value: `weights = i8 per_channel`. */
  qualifier?: Name;
  loc: Loc;
}

/**
 * A call is its callee's name and location plus its arguments, not a Name inside a Call: one
 * object a step instead of two keeps a 262,144-step chain 10 MB smaller.
 */
export interface Call extends Name {
  /** False for a bare word in a chain (`-> relu`). */
  hasParens: boolean;
  args: Arg[];
}

export type Statement =
  | { kind: 'input'; name: Name; dtype: Name; dims: Expr[]; loc: Loc }
  | { kind: 'output'; names: Name[]; loc: Loc }
  | { kind: 'timesteps'; value: Expr; loc: Loc }
  | { kind: 'assign'; name: Name; chain: Call[]; loc: Loc };

export interface Param {
  name: Name;
  default?: Expr;
}

export interface NetworkDecl {
  kind: 'network';
  name: Name;
  params: Param[];
  body: Statement[];
  loc: Loc;
}

export type Item =
  | { kind: 'word'; path: Name[]; args?: Arg[]; loc: Loc }
  | { kind: 'number'; value: number; isInt: boolean; unit?: Name; loc: Loc }
  | { kind: 'string'; value: string; loc: Loc }
  | { kind: 'block'; items: Item[]; loc: Loc };

export interface TargetDecl {
  kind: 'target';
  name: Name;
  /** `target t : systolic { … }` names a kind; `target t extends other { … }` a base target. */
  base: { how: 'kind' | 'extends'; name: Name };
  items: Item[];
  loc: Loc;
}

export interface TrainDecl {
  kind: 'train';
  name: Name;
  items: Item[];
  loc: Loc;
}

export type Decl = NetworkDecl | TargetDecl | TrainDecl;

export interface ImportDecl {
  path: string;
  loc: Loc;
}

export interface FileAst {
  file: string;
  imports: ImportDecl[];
  decls: Decl[];
}
