import { AddAction, parseStats, ProtocolAction } from '../protocol/actions';
import { UnsupportedProtocolError } from '../errors';
import { sqlIdent, sqlString } from '../parquet/duckdb';
import { DataType, StructField, StructType } from './types';

/**
 * Column mapping (PROTOCOL.md "Column Mapping"): data files name their columns by a physical
 * name (`name` mode) or a Parquet field id (`id` mode) fixed when the column was added, so that
 * Spark renames and drops columns without rewriting files. Partition values and statistics in
 * the log are keyed by physical name too.
 */
export type ColumnMappingMode = 'none' | 'name' | 'id';

export const COLUMN_MAPPING_MODE = 'delta.columnMapping.mode';
const PHYSICAL_NAME = 'delta.columnMapping.physicalName';
const FIELD_ID = 'delta.columnMapping.id';

/** The table's mode; the property counts only on a protocol that has the feature (reader 2, or reader 3 listing it). */
export function columnMappingMode(protocol: ProtocolAction, configuration: Record<string, string>): ColumnMappingMode {
  const supported = protocol.minReaderVersion === 2 || (protocol.minReaderVersion === 3 && (protocol.readerFeatures ?? []).includes('columnMapping'));
  const mode = configuration[COLUMN_MAPPING_MODE] ?? 'none';
  if (!supported) return 'none';
  if (mode !== 'none' && mode !== 'name' && mode !== 'id') throw new UnsupportedProtocolError(`unknown ${COLUMN_MAPPING_MODE} "${mode}"`);
  return mode;
}

/**
 * The mode a scan uses when its caller does not say: `name` when the schema carries physical
 * names (only a table with column mapping has them), which also reads Spark's `id`-mode files,
 * since Spark writes both the physical names and the field ids.
 */
export function impliedColumnMappingMode(schema: StructType): ColumnMappingMode {
  return schema.fields.some((f) => typeof f.metadata?.[PHYSICAL_NAME] === 'string') ? 'name' : 'none';
}

/** The name of the column in data files, partition values and stats. */
export function physicalName(field: StructField, mode: ColumnMappingMode): string {
  if (mode === 'none') return field.name;
  const name = field.metadata?.[PHYSICAL_NAME];
  if (typeof name !== 'string') throw new UnsupportedProtocolError(`column "${field.name}" has no ${PHYSICAL_NAME} in a table with column mapping`);
  return name;
}

/** The Parquet field id of the column, for `id` mode. */
export function fieldId(field: StructField): number {
  const id = field.metadata?.[FIELD_ID];
  if (typeof id !== 'number' || !Number.isInteger(id)) throw new UnsupportedProtocolError(`column "${field.name}" has no ${FIELD_ID} in a table with column mapping in id mode`);
  return id;
}

/**
 * The type as data files hold it: every struct field, at any depth, under its physical name.
 * Nested fields carry their own physical name and id, like top-level columns.
 */
export function physicalType(type: DataType, mode: ColumnMappingMode): DataType {
  if (mode === 'none' || typeof type === 'string') return type;
  switch (type.type) {
    case 'struct':
      return { ...type, fields: type.fields.map((f) => ({ ...f, name: physicalName(f, mode), type: physicalType(f.type, mode) })) };
    case 'array':
      return { ...type, elementType: physicalType(type.elementType, mode) };
    case 'map':
      return { ...type, keyType: physicalType(type.keyType, mode), valueType: physicalType(type.valueType, mode) };
  }
}

/**
 * A DuckDB expression reading a data column by its physical name and giving its value with
 * logical names at every depth: a struct is rebuilt field by field, an array or map holding
 * structs element by element. A column without structs inside is its physical column as is.
 */
export function logicalColumnSql(field: StructField, mode: ColumnMappingMode): string {
  return logicalValueSql(sqlIdent(physicalName(field, mode)), field.type, mode, 1);
}

/** `depth` names the lambda variables apart, since a lambda nested in another sees both. */
function logicalValueSql(value: string, type: DataType, mode: ColumnMappingMode, depth: number): string {
  if (mode === 'none' || !holdsStruct(type)) return value;
  const v = `x${depth}`;
  // A struct_pack, a list_transform or a map_from_entries of a null is not null: the CASE keeps it null.
  const unlessNull = (sql: string) => `CASE WHEN ${value} IS NULL THEN NULL ELSE ${sql} END`;
  const struct = type as Exclude<DataType, string>;
  switch (struct.type) {
    case 'struct':
      return unlessNull(
        `struct_pack(${struct.fields
          .map((f) => `${sqlIdent(f.name)} := ${logicalValueSql(`struct_extract(${value}, ${sqlString(physicalName(f, mode))})`, f.type, mode, depth + 1)}`)
          .join(', ')})`,
      );
    case 'array':
      return unlessNull(`list_transform(${value}, lambda ${v}: ${logicalValueSql(v, struct.elementType, mode, depth + 1)})`);
    case 'map': {
      const key = logicalValueSql(`${v}.key`, struct.keyType, mode, depth + 1);
      const entry = logicalValueSql(`${v}.value`, struct.valueType, mode, depth + 1);
      return unlessNull(`map_from_entries(list_transform(map_entries(${value}), lambda ${v}: struct_pack(key := ${key}, value := ${entry})))`);
    }
  }
}

function holdsStruct(type: DataType): boolean {
  if (typeof type === 'string') return false;
  switch (type.type) {
    case 'struct':
      return true;
    case 'array':
      return holdsStruct(type.elementType);
    case 'map':
      return holdsStruct(type.keyType) || holdsStruct(type.valueType);
  }
}

/** The file with its partition values and statistics keyed by logical names, for pruning and partition columns. */
export function logicalFile(add: AddAction, schema: StructType, mode: ColumnMappingMode): AddAction {
  if (mode === 'none') return add;
  const renames = schema.fields.map((f) => [physicalName(f, mode), f.name] as const);
  const rename = <T>(values: Record<string, T> | undefined | null): Record<string, T> | undefined => {
    if (!values) return undefined;
    const out: Record<string, T> = {};
    for (const [physical, logical] of renames) if (physical in values) out[logical] = values[physical];
    return out;
  };
  // Unparsable stats are no stats, as for any file: the file is never skipped.
  const stats = parseStats(add);
  const logicalStats = stats && {
    ...stats,
    minValues: rename(stats.minValues),
    maxValues: rename(stats.maxValues),
    nullCount: rename(stats.nullCount),
  };
  return { ...add, partitionValues: rename(add.partitionValues) ?? {}, stats: logicalStats ? JSON.stringify(logicalStats) : undefined };
}
