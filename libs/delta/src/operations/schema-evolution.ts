import { MetadataAction } from '../protocol/actions';
import { serializeSchema, struct, StructField, StructType } from '../schema/types';
import { SchemaMismatchError } from '../errors';
import { Snapshot } from '../log/snapshot';
import { commitTransaction, TableLog } from '../log/transaction';
import { footprint } from '../log/conflict-checker';

/**
 * The table's schema with the data's new columns added at the end, nullable, as Spark's
 * `mergeSchema` does: files written before them read those columns as null. Every column the two
 * share must keep its type exactly; widening (integer to long), narrowing or any other change is
 * refused, and so is dropping, since a column the data lacks simply stays in the table.
 * Names compare case-insensitively, as Delta's do.
 */
export function mergeSchemas(table: StructType, data: StructType): { schema: StructType; added: StructField[] } {
  const byName = new Map(table.fields.map((f) => [f.name.toLowerCase(), f]));
  const added: StructField[] = [];
  for (const f of data.fields) {
    const existing = byName.get(f.name.toLowerCase());
    if (!existing) {
      added.push({ ...f, nullable: true, metadata: f.metadata ?? {} });
      continue;
    }
    if (existing.name !== f.name) {
      throw new SchemaMismatchError(`column "${f.name}" differs only in case from the table's "${existing.name}"`);
    }
    if (existing.type !== f.type) {
      throw new SchemaMismatchError(
        `column "${f.name}" is ${existing.type} in the table and ${f.type} in the data: changing a column's type (widening included) is not supported`,
      );
    }
  }
  return { schema: added.length ? struct([...table.fields, ...added]) : table, added };
}

/** The metaData action of the snapshot's table with another schema (same id, partitioning and properties). */
export function metadataWithSchema(snap: Snapshot, schema: StructType): MetadataAction {
  return { ...snap.metadata, schemaString: serializeSchema(schema) };
}

/** Spark's operationParameters of ADD COLUMNS. */
export function addColumnsParameters(added: readonly StructField[]): Record<string, string> {
  return { columns: JSON.stringify(added.map((f) => ({ column: f, position: 'LAST' }))) };
}

export interface AddColumnsResult {
  /** Undefined when every column was already there with the same type: nothing was committed. */
  version?: number;
  added: StructField[];
}

/**
 * ALTER TABLE ADD COLUMNS: one metaData commit appending nullable columns. Columns already in
 * the table with the same type are skipped, so the call is idempotent; a non-nullable new column
 * (old files could not honour it) or a type change is a SchemaMismatchError.
 */
export async function addColumns(log: TableLog, snap: Snapshot, columns: readonly StructField[]): Promise<AddColumnsResult> {
  const required = columns.find((f) => !f.nullable);
  if (required) throw new SchemaMismatchError(`column "${required.name}" cannot be added as non-nullable: files written before it have no value for it`);
  const { schema, added } = mergeSchemas(snap.schema, struct([...columns]));
  if (added.length === 0) return { added };
  const { version } = await commitTransaction(log, snap, {
    actions: [{ metaData: metadataWithSchema(snap, schema) }],
    operation: 'ADD COLUMNS',
    operationParameters: addColumnsParameters(added),
    readVersion: snap.version,
    isBlindAppend: false,
    footprint: footprint({ changesMetadata: true }),
  });
  return { version, added };
}
