/** What the Evaluate tab shows, computed from the API's evaluations with no state of its own:
 * the pass rate of each check per graph version, the failing cases of one evaluation, and two
 * evaluations' cases side by side. */

import type { CaseResult, EvalDetail, EvalPublic } from "../api/types";

/** The newest finished evaluation of each version, oldest version first: what a version's
 * pass rates are (an older evaluation of the same version is superseded; a running one is
 * not a result yet). */
export function latestPerVersion(evals: EvalPublic[]): EvalPublic[] {
  const byVersion = new Map<number, EvalPublic>();
  for (const e of evals) {
    if (e.status !== "succeeded") continue;
    const seen = byVersion.get(e.version);
    if (!seen || e.created_at > seen.created_at) byVersion.set(e.version, e);
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

export interface RateCell {
  version: number;
  evalId: string;
  /** passed / judged, 0..1; null where the version's evaluation has no such check or judged no case */
  rate: number | null;
}

export interface RateRow {
  check: string;
  cells: RateCell[];
}

/** One row per check (in the order checks first appear), one cell per evaluated version. */
export function passRates(evals: EvalPublic[]): { versions: number[]; rows: RateRow[] } {
  const latest = latestPerVersion(evals);
  const checks: string[] = [];
  for (const e of latest) for (const name of Object.keys(e.summary)) if (!checks.includes(name)) checks.push(name);
  const rows = checks.map((check) => ({
    check,
    cells: latest.map((e) => ({ version: e.version, evalId: e.id, rate: e.summary[check]?.pass_rate ?? null })),
  }));
  return { versions: latest.map((e) => e.version), rows };
}

/** The cases that failed, in dataset order. */
export function failingCases(detail: EvalDetail): CaseResult[] {
  return detail.results.filter((c) => c.status !== "passed");
}

export interface CasePair {
  id: string;
  a: CaseResult | null;
  b: CaseResult | null;
  /** passed in one and not in the other (or missing from one) */
  changed: boolean;
}

/** Two evaluations' cases matched by case id: A's order first, then cases only B has. */
export function compareCases(a: EvalDetail, b: EvalDetail): CasePair[] {
  const inB = new Map(b.results.map((c) => [c.id, c]));
  const pairs: CasePair[] = a.results.map((c) => {
    const other = inB.get(c.id) ?? null;
    return { id: c.id, a: c, b: other, changed: other === null || other.status !== c.status };
  });
  const inA = new Set(a.results.map((c) => c.id));
  for (const c of b.results) if (!inA.has(c.id)) pairs.push({ id: c.id, a: null, b: c, changed: true });
  return pairs;
}

/** A case's outputs in one line each, cut at `max` characters: texts as they are, the rest as JSON. */
export function showOutputs(outputs: Record<string, unknown>, max = 240): [string, string][] {
  return Object.entries(outputs).map(([name, value]) => {
    const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
    return [name, text.length > max ? `${text.slice(0, max - 1)}…` : text];
  });
}

/** A pass rate as a whole percentage ("–" when nothing was judged). */
export const percent = (rate: number | null): string => (rate === null ? "–" : `${Math.round(rate * 100)}%`);
