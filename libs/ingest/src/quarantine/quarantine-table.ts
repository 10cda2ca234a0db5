import { addColumns, DeltaTable, sameSchema, struct, TableNotFoundError } from '@app/delta';
import { QUARANTINE_TABLE, tableLocation } from '@app/schemas';

/**
 * Opens the quarantine table, first adding the columns the contract gained since the table was
 * created (raw_payload_base64) with libs/delta's ADD COLUMNS, so the files written before read
 * the new column as null, here and in delta-rs. Only
 * trailing nullable columns are added; any other difference is left to DeltaTable.openOrCreate,
 * which refuses it.
 */
export async function openQuarantineTable(lakehouseRoot: string): Promise<DeltaTable> {
  const uri = tableLocation(lakehouseRoot, QUARANTINE_TABLE);
  const table = await DeltaTable.open(uri).catch((e: unknown) => {
    if (e instanceof TableNotFoundError) return undefined;
    throw e;
  });
  if (table) await addMissingColumns(table);
  return DeltaTable.openOrCreate(uri, QUARANTINE_TABLE);
}

async function addMissingColumns(table: DeltaTable): Promise<void> {
  const wanted = QUARANTINE_TABLE.schema.fields;
  const current = table.snapshot.schema.fields;
  const missing = wanted.slice(current.length);
  if (missing.length === 0 || missing.some((f) => !f.nullable) || !sameSchema(table.snapshot.schema, struct(wanted.slice(0, current.length)))) return;
  try {
    await addColumns(table.log, table.snapshot, missing);
  } catch (e) {
    // Another replica added them first: its schema is the one wanted, which openOrCreate checks.
    await table.update();
    if (!sameSchema(table.snapshot.schema, QUARANTINE_TABLE.schema)) throw e;
  }
}
