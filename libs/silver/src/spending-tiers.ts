import { sqlString } from '@app/delta';
import { SpendingTier } from '@app/schemas';

/**
 * Lower bounds, in euros and inclusive, of a client's spend in one day for the `segment_depense`
 * tiers; below `standard` is Economy.
 *
 * Defaults are sized on the seed catalogue (79.99 to 899.99 EUR a unit): a day with one
 * accessory or chair stays Economy (< 200), one laptop or phone makes it Standard, and only
 * several big-ticket items in the same day reach Premium (>= 1000).
 */
export interface SpendingThresholds {
  premium: number;
  standard: number;
}

export const DEFAULT_SPENDING_THRESHOLDS: Readonly<SpendingThresholds> = { premium: 1000, standard: 200 };

/** Thresholds are compared in cents, as the totals are; a threshold given with more decimals is rounded to the cent. */
export function thresholdCents(t: SpendingThresholds): { premium: number; standard: number } {
  return { premium: Math.round(t.premium * 100), standard: Math.round(t.standard * 100) };
}

/** What is wrong with a pair of thresholds (empty when they are usable). */
export function spendingThresholdProblems(t: SpendingThresholds): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(t)) {
    if (!Number.isFinite(value) || value < 0) problems.push(`${name} threshold must be a non-negative amount, got ${value}`);
  }
  if (t.standard > t.premium) problems.push(`standard threshold (${t.standard}) must not exceed premium threshold (${t.premium})`);
  return problems;
}

/** The tier of a day's total spend, given as an integer-cents SQL expression. */
export function spendingTierSql(totalCentsExpr: string, t: SpendingThresholds): string {
  const cents = thresholdCents(t);
  const tier = (name: SpendingTier) => sqlString(name);
  return (
    `(CASE WHEN ${totalCentsExpr} >= ${cents.premium} THEN ${tier('Premium')} ` +
    `WHEN ${totalCentsExpr} >= ${cents.standard} THEN ${tier('Standard')} ELSE ${tier('Economy')} END)`
  );
}

/**
 * A Delta txn appId naming the thresholds in force. It is committed with the client aggregates at
 * the bronze version they reflect, so a run whose thresholds differ finds no txn at the processed
 * version and recomputes every day instead of mixing tiers of two configurations.
 */
export function spendingTiersAppId(t: SpendingThresholds): string {
  const cents = thresholdCents(t);
  return `silver-spending-tiers/premium=${cents.premium}c/standard=${cents.standard}c`;
}
