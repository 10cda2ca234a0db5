import { centsOf, eurosOf, roundedQuotient } from './money-sql';
import { SpendingThresholds, spendingTierSql } from './spending-tiers';

/**
 * DuckDB SELECTs producing the silver tables (seed ARCHITECTURE.md, "Analytics Pipeline"), with
 * output columns named and typed like CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE and
 * SEGMENT_AGGREGATES_TABLE, so they can be handed to `DeltaTable.overwrite({ sql })`.
 * Money is aggregated in integer cents (see money-sql.ts).
 */

/**
 * `ventes_aggreges`: one row per client and event day, over `salesSql` (bronze rows already
 * reduced to each sale's first occurrence, see first-occurrences.ts, usually restricted to the
 * days being recomputed).
 *
 * A client's identity (name, country, segment) can change within a day (a renamed customer, a
 * move): the row is still one per client day, so `days_active` counts days and `segment_depense`
 * tiers the whole day's spend; it carries the identity of the client's latest sale that day (by
 * event time, then ingestion order), the one the client had at the end of the day.
 */
export function clientDayAggregatesSql(salesSql: string, thresholds: SpendingThresholds): string {
  // Two grouping levels instead of COUNT(DISTINCT produit_id): per product first, then per client
  // day, where distinct products are just rows. Sums, counts, min and max compose; DuckDB skips
  // the per-group distinct hash sets.
  return `
WITH sales AS (
  SELECT client_id, jour, produit_id, quantite, ${centsOf('montant')} AS montant_cents,
         {'client_nom': client_nom, 'pays': pays, 'segment': segment} AS identity,
         ("timestamp", date_ingestion, kafka_topic, kafka_partition, kafka_offset) AS sale_order
  FROM (${salesSql})
),
client_day_products AS (
  SELECT client_id, jour, produit_id,
         SUM(quantite) AS quantite,
         SUM(montant_cents) AS total_cents,
         COUNT(*) AS nb_achats,
         MIN(montant_cents) AS min_cents,
         MAX(montant_cents) AS max_cents,
         arg_max(identity, sale_order) AS identity,
         MAX(sale_order) AS sale_order
  FROM sales
  GROUP BY client_id, jour, produit_id
),
client_days AS (
  SELECT client_id, jour,
         SUM(quantite) AS total_quantite,
         SUM(total_cents) AS total_cents,
         SUM(nb_achats) AS nb_achats,
         MIN(min_cents) AS min_cents,
         MAX(max_cents) AS max_cents,
         COUNT(*) AS nb_produits_distincts,
         arg_max(identity, sale_order) AS identity
  FROM client_day_products
  GROUP BY client_id, jour
)
SELECT client_id, identity.client_nom AS client_nom, identity.pays AS pays, identity.segment AS segment, jour,
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
ORDER BY jour, client_id`;
}

/**
 * A client's contribution to the derived tables, per identity (client_id, pays, segment): its
 * client days, transactions, revenue in cents and items, over `clientAggregatesSql` (rows of
 * `ventes_aggreges`). `sign` -1 makes the contribution to take away when days are replaced.
 * These rows (CUSTOMER_TOTALS_TABLE) are what `ventes_par_pays` and `ventes_par_segment` are
 * rolled up from: their size is the number of customers, not of days or sales.
 */
export function customerContributionsSql(clientAggregatesSql: string, sign: 1 | -1 = 1): string {
  return `
SELECT client_id, pays, segment,
       ${sign} * COUNT(*) AS client_days,
       ${sign} * SUM(nb_achats) AS transactions,
       ${sign} * SUM(${centsOf('total_depense')}) AS revenue_cents,
       ${sign} * SUM(total_quantite) AS items
FROM (${clientAggregatesSql})
GROUP BY client_id, pays, segment`;
}

/** Customer totals summed per identity, dropping identities left with no client day; typed like CUSTOMER_TOTALS_TABLE. */
export function customerTotalsSql(contributionsSql: string): string {
  return `
SELECT client_id, pays, segment,
       CAST(SUM(client_days) AS BIGINT) AS client_days,
       CAST(SUM(transactions) AS BIGINT) AS transactions,
       CAST(SUM(revenue_cents) AS BIGINT) AS revenue_cents,
       CAST(SUM(items) AS BIGINT) AS items
FROM (${contributionsSql})
GROUP BY client_id, pays, segment
HAVING SUM(client_days) > 0
ORDER BY client_id, pays, segment`;
}

/**
 * Totals per `dimension` over the customer totals (never over bronze, nor over every client day).
 * A transaction is a sale, so total_transactions sums nb_achats; unique_customers counts distinct
 * client_id across all days; transaction_moyenne is revenue / transactions rounded to the cent.
 */
function rollupSql(customerTotalsSql: string, dimension: 'pays' | 'segment', extraColumns: string[]): string {
  return `
WITH totals AS (
  SELECT ${dimension},
         SUM(transactions) AS total_transactions,
         SUM(revenue_cents) AS revenue_cents,
         COUNT(DISTINCT client_id) AS unique_customers,
         ${extraColumns.join(',\n         ')}
  FROM (${customerTotalsSql})
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

/** `ventes_par_pays`, rolled up from the customer totals. */
export function countryAggregatesSql(customerTotalsSql: string): string {
  return rollupSql(customerTotalsSql, 'pays', ['CAST(SUM(items) AS BIGINT) AS items_sold']);
}

/** `ventes_par_segment`, rolled up from the customer totals. */
export function segmentAggregatesSql(customerTotalsSql: string): string {
  return rollupSql(customerTotalsSql, 'segment', ['COUNT(DISTINCT pays) AS countries_count']);
}
