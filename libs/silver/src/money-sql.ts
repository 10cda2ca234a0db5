/**
 * SQL fragments for money. Bronze `montant` is a double, so 1799.98 is really 1799.97999…;
 * summing doubles drifts (0.1 + 0.2 = 0.30000000000000004). Every amount is therefore turned into
 * integer cents once, all sums and averages are integer arithmetic, and only the output goes back
 * to a double: the one nearest to the exact cent value, as if parsed from "1799.98".
 */

/** Euros (double) to integer cents, absorbing the binary representation error of the input. */
export function centsOf(eurosExpr: string): string {
  return `CAST(ROUND(${eurosExpr} * 100) AS BIGINT)`;
}

/** Integer cents to euros: dividing two exact doubles rounds once, so the result is the nearest double (exact below 2^53 cents). */
export function eurosOf(centsExpr: string): string {
  return `(CAST(${centsExpr} AS DOUBLE) / 100)`;
}

/**
 * `numerator / denominator` rounded half away from zero (like ROUND), in integer arithmetic so an
 * average of cents never goes through a double. The denominator must be positive.
 */
export function roundedQuotient(numerator: string, denominator: string): string {
  return (
    `(CASE WHEN ${numerator} >= 0 THEN (2 * ${numerator} + ${denominator}) // (2 * ${denominator}) ` +
    `ELSE -((-2 * ${numerator} + ${denominator}) // (2 * ${denominator})) END)`
  );
}
