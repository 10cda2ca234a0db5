import { DeltaTable, parseSchema, serializeSchema, StructType } from '@app/delta';
import { BRONZE_TABLE, CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, QUARANTINE_TABLE, SALES_EVENT_FIELDS, salesEventSchema, SEGMENT_AGGREGATES_TABLE, SILVER_TABLES, tableLocation } from '@app/schemas';
import { tempDir } from '../../delta/test/fixtures';

const columns = (s: StructType) => s.fields.map((f) => [f.name, f.type, f.nullable]);

const EVENT_COLUMNS = [
  ['vente_id', 'long', false],
  ['client_id', 'integer', false],
  ['produit_id', 'integer', false],
  ['timestamp', 'timestamp', false],
  ['quantite', 'integer', false],
  ['montant', 'double', false],
  ['client_nom', 'string', false],
  ['produit_nom', 'string', false],
  ['categorie', 'string', false],
  ['pays', 'string', false],
  ['segment', 'string', false],
];

const LINEAGE = [
  ['kafka_topic', 'string', false],
  ['kafka_partition', 'integer', false],
  ['kafka_offset', 'long', false],
  ['date_ingestion', 'timestamp', false],
];

describe('Delta schemas of the platform tables', () => {
  it('the sales event schema has the eleven contract fields, all required', () => {
    expect(columns(salesEventSchema)).toEqual(EVENT_COLUMNS);
    expect(SALES_EVENT_FIELDS.map((f) => f.name)).toEqual(EVENT_COLUMNS.map((c) => c[0]));
  });

  it('bronze: the event, its Kafka lineage and the jour partition', () => {
    expect(BRONZE_TABLE.name).toBe('ventes_stream');
    expect(columns(BRONZE_TABLE.schema)).toEqual([...EVENT_COLUMNS, ...LINEAGE, ['jour', 'date', false]]);
    expect(BRONZE_TABLE.partitionColumns).toEqual(['jour']);
  });

  it('quarantine: the raw payload (nullable), reason, error, lineage, jour, and the bytes of a payload that is not UTF-8 (added last)', () => {
    expect(QUARANTINE_TABLE.name).toBe('ventes_quarantine');
    expect(columns(QUARANTINE_TABLE.schema)).toEqual([
      ['raw_payload', 'string', true],
      ['reason', 'string', false],
      ['error', 'string', false],
      ...LINEAGE,
      ['jour', 'date', false],
      ['raw_payload_base64', 'string', true],
    ]);
    expect(QUARANTINE_TABLE.partitionColumns).toEqual(['jour']);
  });

  it('silver: per client and day, per country, per segment', () => {
    expect(SILVER_TABLES.map((t) => t.name)).toEqual(['ventes_aggreges', 'ventes_par_pays', 'ventes_par_segment']);
    expect(columns(CLIENT_AGGREGATES_TABLE.schema)).toEqual([
      ['client_id', 'integer', false],
      ['client_nom', 'string', false],
      ['pays', 'string', false],
      ['segment', 'string', false],
      ['jour', 'date', false],
      ['total_quantite', 'long', false],
      ['total_depense', 'double', false],
      ['nb_achats', 'long', false],
      ['panier_moyen', 'double', false],
      ['achat_min', 'double', false],
      ['achat_max', 'double', false],
      ['nb_produits_distincts', 'long', false],
      ['est_client_fidele', 'boolean', false],
      ['segment_depense', 'string', false],
    ]);
    expect(CLIENT_AGGREGATES_TABLE.partitionColumns).toEqual(['jour']);
    expect(columns(COUNTRY_AGGREGATES_TABLE.schema)).toEqual([
      ['pays', 'string', false],
      ['total_transactions', 'long', false],
      ['revenue_total', 'double', false],
      ['transaction_moyenne', 'double', false],
      ['items_sold', 'long', false],
      ['unique_customers', 'long', false],
    ]);
    expect(COUNTRY_AGGREGATES_TABLE.partitionColumns).toEqual([]);
    expect(columns(SEGMENT_AGGREGATES_TABLE.schema)).toEqual([
      ['segment', 'string', false],
      ['total_transactions', 'long', false],
      ['revenue_total', 'double', false],
      ['transaction_moyenne', 'double', false],
      ['unique_customers', 'long', false],
      ['countries_count', 'long', false],
    ]);
    expect(SEGMENT_AGGREGATES_TABLE.partitionColumns).toEqual([]);
  });

  it.each([BRONZE_TABLE, QUARANTINE_TABLE, ...SILVER_TABLES])('$name serialises to a schemaString that round-trips, and creates a table', async (def) => {
    expect(parseSchema(serializeSchema(def.schema))).toEqual(def.schema);
    for (const p of def.partitionColumns) expect(def.schema.fields.map((f) => f.name)).toContain(p);
    const table = await DeltaTable.create(tempDir(), { schema: def.schema, partitionColumns: def.partitionColumns });
    expect(table.snapshot.schema).toEqual(def.schema);
  });

  it.each([BRONZE_TABLE, QUARANTINE_TABLE])('$name is created with auto-compaction and a log sized for a commit a second', async (def) => {
    const table = await DeltaTable.openOrCreate(tableLocation(tempDir(), def), def);
    expect(table.snapshot.configuration).toEqual(def.configuration);
    expect(table.config).toMatchObject({
      checkpointInterval: 100,
      logRetentionMs: 2 * 86_400_000,
      deletedFileRetentionMs: 86_400_000,
      autoCompact: { enabled: true, minNumFiles: 50, maxFileSize: 128 * 1024 * 1024 },
    });
  });
});
