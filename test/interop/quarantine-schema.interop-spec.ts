/**
 * The quarantine table's added column (raw_payload_base64, ADD COLUMNS on tables created before
 * it) as delta-rs sees it: the new schema, the old file's rows with null in the new column, and
 * a new row's base64 bytes.
 */
import { DeltaTable, struct } from '@app/delta';
import { openQuarantineTable, rawPayloadColumns } from '@app/ingest';
import { QUARANTINE_TABLE, tableLocation } from '@app/schemas';
import { describeEachBackend, tableRoot } from '../../libs/delta/test/backends';
import { readTable } from './delta-rs';

describeEachBackend('the quarantine table', () => {
  it('delta-rs reads a quarantine table whose raw_payload_base64 was added after rows were written', async () => {
    const root = tableRoot('interop-quarantine');
    const oldSchema = struct(QUARANTINE_TABLE.schema.fields.filter((f) => f.name !== 'raw_payload_base64'));
    const old = await DeltaTable.create(tableLocation(root, QUARANTINE_TABLE), { schema: oldSchema, partitionColumns: ['jour'] });
    const lineage = {
      reason: 'malformed_json',
      error: 'x',
      kafka_topic: 'ventes_stream',
      kafka_partition: 0,
      date_ingestion: '2026-12-01T00:00:00.000000Z',
      jour: '2026-12-01',
    };
    await old.append({ rows: [{ ...lineage, raw_payload: 'before', kafka_offset: 0n }] });

    const table = await openQuarantineTable(root);
    const invalid = Buffer.from([0x7b, 0xff, 0x7d]);
    await table.append({ rows: [{ ...lineage, ...rawPayloadColumns(invalid), kafka_offset: 1n, jour: '2026-12-02' }] });

    const seen = readTable(table.uri, { history: true });
    expect(seen.schema.map((f) => [f.name, f.nullable])).toEqual(QUARANTINE_TABLE.schema.fields.map((f) => [f.name, f.nullable]));
    const rows = [...(seen.rows ?? [])].sort((a, b) => Number(a.kafka_offset) - Number(b.kafka_offset));
    expect(rows.map((r) => [r.raw_payload, r.raw_payload_base64])).toEqual([
      ['before', null],
      ['{\ufffd}', invalid.toString('base64')],
    ]);
  });
});
