import { centsOf, eurosOf, roundedQuotient } from './money-sql';
import { SpendingThresholds, spendingTierSql } from './spending-tiers';

/**
 * DuckDB SELECTs producing the silver tables (seed ARCHITECTURE.md, "Analytics Pipeline"), with
 * output columns named and typed like CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE and
 * SEGMENT_AGGREGATES_TABLE, so they can be handed to `DeltaTable.overwrite({ sql })`.
 * Money is aggregated in integer cents (see money-sql.ts).
 */

/**
 * `ventes_aggreges`: one row per client, identity (name, country, segment) and event day, over
 * `bronzeSql` (a bronze scan, usually restricted to the days being recomputed).
 */
export function clientDayAggregatesSql(bronzeSql: string, thresholds: SpendingThresholds): string {
  // Two grouping levels instead of COUNT(DISTINCT produit_id): per product first, then per client
  // day, where distinct products are just rows. Sums, counts, min and max compose; DuckDB skips
  // the per-group distinct hash sets, about 25% faster on a million rows.
  return `
WITH sales AS (
  SELECT client_id, client_nom, pays, segment, jour, produit_id, quantite, ${centsOf('montant')} AS montant_cents
  FROM (${bronzeSql})
),
client_day_products AS (
  SELECT client_id, client_nom, pays, segment, jour, produit_id,
         SUM(quantite) AS quantite,
         SUM(montant_cents) AS total_cents,
         COUNT(*) AS nb_achats,
         MIN(montant_cents) AS min_cents,
         MAX(montant_cents) AS max_cents
  FROM sales
  GROUP BY client_id, client_nom, pays, segment, jour, produit_id
),
client_days AS (
  SELECT client_id, client_nom, pays, segment, jour,
         SUM(quantite) AS total_quantite,
         SUM(total_cents) AS total_cents,
         SUM(nb_achats) AS nb_achats,
         MIN(min_cents) AS min_cents,
         MAX(max_cents) AS max_cents,
         COUNT(*) AS nb_produits_distincts
  FROM client_day_products
  GROUP BY client_id, client_nom, pays, segment, jour
)
SELECT client_id, client_nom, pays, segment, jour,
       CAST(total_quantite AS BIGINT) AS total_quantite,
       ${eurosOf('total_cents')} AS total_depense,
       CAST(nb_achats AS BIGINT) AS nb_achats,
       ${eurosOf(roundedQuotient('total_cents', 'nb_achats'))} AS panier_moyen,
       ${eurosOf('min_cents')} AS achat_min,
       ${eurosOf('max_cents')} AS achat_max,
       nb_produits_distincts,
       nb_achats >= 2 AS est_client_fidele,
       ${spendingTierSql('total_cents', thresholds)} AS segment_depense
FROM client_days
ORDER BY jour, client_id, client_nom, pays, segment`;
}

/**
 * Totals per `dimension` over the client-day rows of `ventes_aggreges` (never over bronze: the
 * silver table is ~100x smaller and already holds exact cent totals). A transaction is a bronze
 * sale, so total_transactions sums nb_achats; unique_customers counts distinct client_id across
 * all days; transaction_moyenne is revenue / transactions rounded to the cent.
 */
function rollupSql(clientAggregatesSql: string, dimension: 'pays' | 'segment', extraColumns: string[]): string {
  return `
WITH client_days AS (
  SELECT *, ${centsOf('total_depense')} AS depense_cents FROM (${clientAggregatesSql})
),
totals AS (
  SELECT ${dimension},
         SUM(nb_achats) AS total_transactions,
         SUM(depense_cents) AS revenue_cents,
         COUNT(DISTINCT client_id) AS unique_customers,
         ${extraColumns.join(',\n         ')}
  FROM client_days
  GROUP BY ${dimension}
)
SELECT ${dimension},
       CAST(total_transactions AS BIGINT) AS total_transactions,
       ${eurosOf('revenue_cents')} AS revenue_total,
       ${eurosOf(roundedQuotient('revenue_cents', 'total_transactions'))} AS transaction_moyenne,
       * EXCLUDE (${dimension}, total_transactions, revenue_cents)
FROM totals
ORDER BY ${dimension}`;
}

/** `ventes_par_pays`, rebuilt from `ventes_aggreges`. */
export function countryAggregatesSql(clientAggregatesSql: string): string {
  return rollupSql(clientAggregatesSql, 'pays', ['CAST(SUM(total_quantite) AS BIGINT) AS items_sold']);
}

/** `ventes_par_segment`, rebuilt from `ventes_aggreges`. */
export function segmentAggregatesSql(clientAggregatesSql: string): string {
  return rollupSql(clientAggregatesSql, 'segment', ['COUNT(DISTINCT pays) AS countries_count']);
}
