import { field, struct } from '@app/delta';
import { TableDefinition } from '@app/schemas';

/**
 * Silver's own bookkeeping tables, next to the public ones under `silver/`. They are not part of
 * the data contract (hence English names): they let an incremental run touch only what changed
 * and still produce exactly what a full refresh would.
 */

/**
 * One row per bronze row (every Kafka record): which sale it carries, where it came from, and
 * whether it is the sale's first occurrence, the one silver counts. Partitioned like bronze, so a
 * run rewrites only the days it recomputes, and bronze retention expires both alike.
 * `conflict` marks a later occurrence whose payload differs from the first one's.
 */
export const SALE_OCCURRENCES_TABLE: TableDefinition = {
  name: 'sale_occurrences',
  layer: 'silver',
  schema: struct([
    field('vente_id', 'long', false),
    field('jour', 'date', false),
    field('date_ingestion', 'timestamp', false),
    field('kafka_topic', 'string', false),
    field('kafka_partition', 'integer', false),
    field('kafka_offset', 'long', false),
    field('payload_hash', 'long', false),
    field('is_first', 'boolean', false),
    field('conflict', 'boolean', false),
  ]),
  partitionColumns: ['jour'],
  description: 'Silver bookkeeping: every bronze row, its sale and whether it is the first occurrence counted',
};

/**
 * Per customer identity (client_id, pays, segment): client days, transactions, revenue in cents
 * and items over all of `ventes_aggreges`. `ventes_par_pays` and `ventes_par_segment` are rolled
 * up from it, and a run updates it by the difference of the days it replaced, so neither needs a
 * scan of every client day. Its size is the number of customers.
 */
export const CUSTOMER_TOTALS_TABLE: TableDefinition = {
  name: 'customer_totals',
  layer: 'silver',
  schema: struct([
    field('client_id', 'integer', false),
    field('pays', 'string', false),
    field('segment', 'string', false),
    field('client_days', 'long', false),
    field('transactions', 'long', false),
    field('revenue_cents', 'long', false),
    field('items', 'long', false),
  ]),
  partitionColumns: [],
  description: 'Silver bookkeeping: totals per customer identity, from which the per-country and per-segment tables are rolled up',
};
