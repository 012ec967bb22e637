// Checks a hand-written fast path of validation against the zod schema it stands in for: on
// each value it declines, or accepts exactly what the schema outputs (never a value the schema
// refuses). Valid values are spoiled one field at a time with every bad value, then at random.

import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';
import type { z } from 'zod';
import { randomSource } from '../../sync/support/seededRandom.js';

export interface FastPathCase {
  /** The fast path: its output, or undefined where it leaves the value to zod. */
  readonly fast: (value: unknown) => unknown;
  readonly schema: z.ZodType;
  readonly valid: readonly Record<string, unknown>[];
  /** The fields to spoil (one more, unknown to the schema, is worth including). */
  readonly keys: readonly string[];
  readonly badValues: readonly unknown[];
}

/** Whether the fast path and zod accept `value`, asserting that the fast path accepts only what zod does, with zod's output. */
export function agrees(check: FastPathCase, value: unknown): { fast: boolean; zod: boolean } {
  const fast = check.fast(value);
  const zod = check.schema.safeParse(value);
  if (fast !== undefined) {
    expect(zod.success, JSON.stringify(value)).toBe(true);
    expect(isDeepStrictEqual(fast, zod.data), JSON.stringify(value)).toBe(true);
  }
  return { fast: fast !== undefined, zod: zod.success };
}

/** `value` with one to three of `keys` deleted or set to a bad value, or (rarely) a bad value whole. */
export function mutate(check: FastPathCase, value: Record<string, unknown>, next: () => number): unknown {
  if (next() < 0.03) return check.badValues[Math.floor(next() * check.badValues.length)];
  const copy: Record<string, unknown> = { ...value };
  const count = 1 + Math.floor(next() * 3);
  for (let i = 0; i < count; i++) {
    const key = check.keys[Math.floor(next() * check.keys.length)]!;
    if (next() < 0.2) delete copy[key];
    else copy[key] = check.badValues[Math.floor(next() * check.badValues.length)];
  }
  return copy;
}

/**
 * Every valid value with each key set to each bad value, then 5,000 random spoilings: the fast
 * path agrees with zod on all of them, and both kinds of cases occur in numbers (the table is
 * not vacuous).
 */
export function expectAgreementOnMalformations(check: FastPathCase): void {
  const outcomes = { fastAccepted: 0, zodAccepted: 0, refused: 0 };
  for (const value of check.valid) {
    for (const key of check.keys) {
      for (const bad of check.badValues) {
        const result = agrees(check, { ...value, [key]: bad });
        if (result.fast) outcomes.fastAccepted += 1;
        if (result.zod) outcomes.zodAccepted += 1;
        else outcomes.refused += 1;
      }
    }
  }
  const next = randomSource(20261207);
  for (let i = 0; i < 5000; i++) {
    const result = agrees(check, mutate(check, check.valid[i % check.valid.length]!, next));
    if (result.zod) outcomes.zodAccepted += 1;
    else outcomes.refused += 1;
  }
  expect(outcomes.refused).toBeGreaterThan(1000);
  expect(outcomes.fastAccepted).toBeGreaterThan(50);
}
