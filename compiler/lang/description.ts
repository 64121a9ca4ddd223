/**
 * Target descriptions as plain data: every property with its value in SI base units, the unit
 * it was written in, and where it came from (file:line:col of a preset or user file), so every
 * number a cost is built from can be traced.
 */
import type { Loc } from './ast.ts';
import type { Value } from './items.ts';
import type { TargetKind } from './block-schema.ts';

export interface TargetProperty {
  value: Value;
  unit?: string;
  /** Where the number was written; for an inherited property, in the base target's file. */
  source: Loc;
}

export interface TargetDescription {
  name: string;
  kind: TargetKind;
  /** The chain of targets this one extends, nearest first. */
  extends: string[];
  props: Record<string, TargetProperty>;
}

export interface TrainDescription {
  name: string;
  network: string;
  props: Record<string, TargetProperty>;
}
