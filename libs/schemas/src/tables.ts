import { field, StructField, struct, StructType } from '@app/delta/core';
import { salesEventSchema } from './sales-event';

/** A Delta table of the platform: its public name, schema and partitioning. */
export interface TableDefinition {
  name: string;
  /** Medallion layer: the table lives at `<lakehouse root>/<layer>/<name>`. */
  layer: 'bronze' | 'silver';
  schema: StructType;
  partitionColumns: string[];
  description: string;
  /** Delta table properties set when the table is created (docs/delta-log.md). */
  configuration?: Record<string, string>;
}

/**
 * Bronze and quarantine take one small commit per flush (about one a second): their log is
 * checkpointed every 100 commits and kept 2 days (time travel that far back), each partition,
 * today's included, is compacted once it holds 50 small files, and files compacted away stay
 * for readers of older versions for a day (every tombstone is carried by each checkpoint).
 */
const STREAMING_TABLE_PROPERTIES: Record<string, string> = {
  'delta.checkpointInterval': '100',
  'delta.logRetentionDuration': 'interval 2 days',
  'delta.deletedFileRetentionDuration': 'interval 1 days',
  'delta.autoOptimize.autoCompact': 'true',
  'lakehouse.autoCompact.minNumFiles': '50',
  'lakehouse.autoCompact.maxFileSize': String(128 * 1024 * 1024),
};

/** Where each event came from in Kafka; with the ingestion time, the lineage of every bronze and quarantine row. */
const kafkaLineage: StructField[] = [
  field('kafka_topic', 'string', false),
  field('kafka_partition', 'integer', false),
  field('kafka_offset', 'long', false),
  field('date_ingestion', 'timestamp', false),
];

export const BRONZE_TABLE: TableDefinition = {
  name: 'ventes_stream',
  layer: 'bronze',
  schema: struct([...salesEventSchema.fields, ...kafkaLineage, field('jour', 'date', false)]),
  partitionColumns: ['jour'],
  description: 'Bronze: every valid sales event from Kafka, exactly once, partitioned by event day',
  configuration: STREAMING_TABLE_PROPERTIES,
};

/** Reasons an event is quarantined instead of landing in bronze. */
export const QUARANTINE_REASONS = ['malformed_json', 'schema_violation', 'late_event', 'future_event'] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

export const QUARANTINE_TABLE: TableDefinition = {
  name: 'ventes_quarantine',
  layer: 'bronze',
  schema: struct([
    field('raw_payload', 'string', true),
    field('reason', 'string', false),
    field('error', 'string', false),
    ...kafkaLineage,
    field('jour', 'date', false),
    // Added after the first release (last, as Delta's ADD COLUMNS does): older files read it as null.
    field('raw_payload_base64', 'string', true),
  ]),
  partitionColumns: ['jour'],
  description:
    'Messages that could not land in bronze, with the reason; jour is the ingestion day; raw_payload_base64 holds the bytes of a payload that is not valid UTF-8',
  configuration: STREAMING_TABLE_PROPERTIES,
};

export const CLIENT_AGGREGATES_TABLE: TableDefinition = {
  name: 'ventes_aggreges',
  layer: 'silver',
  schema: struct([
    field('client_id', 'integer', false),
    field('client_nom', 'string', false),
    field('pays', 'string', false),
    field('segment', 'string', false),
    field('jour', 'date', false),
    field('total_quantite', 'long', false),
    field('total_depense', 'double', false),
    field('nb_achats', 'long', false),
    field('panier_moyen', 'double', false),
    field('achat_min', 'double', false),
    field('achat_max', 'double', false),
    field('nb_produits_distincts', 'long', false),
    field('est_client_fidele', 'boolean', false),
    field('segment_depense', 'string', false),
  ]),
  partitionColumns: ['jour'],
  description: 'Silver: purchases per client and day',
};

export const COUNTRY_AGGREGATES_TABLE: TableDefinition = {
  name: 'ventes_par_pays',
  layer: 'silver',
  schema: struct([
    field('pays', 'string', false),
    field('total_transactions', 'long', false),
    field('revenue_total', 'double', false),
    field('transaction_moyenne', 'double', false),
    field('items_sold', 'long', false),
    field('unique_customers', 'long', false),
  ]),
  partitionColumns: [],
  description: 'Silver: sales per country',
};

export const SEGMENT_AGGREGATES_TABLE: TableDefinition = {
  name: 'ventes_par_segment',
  layer: 'silver',
  schema: struct([
    field('segment', 'string', false),
    field('total_transactions', 'long', false),
    field('revenue_total', 'double', false),
    field('transaction_moyenne', 'double', false),
    field('unique_customers', 'long', false),
    field('countries_count', 'long', false),
  ]),
  partitionColumns: [],
  description: 'Silver: sales per customer segment',
};

export const SILVER_TABLES = [CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE] as const;

/** Spending tiers of `segment_depense`, by a client's total spend in a day. */
export const SPENDING_TIERS = ['Premium', 'Standard', 'Economy'] as const;
export type SpendingTier = (typeof SPENDING_TIERS)[number];
