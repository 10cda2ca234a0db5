import { AddAction, parseStats, ProtocolAction } from '../protocol/actions';
import { UnsupportedProtocolError } from '../errors';
import { StructField, StructType } from './types';

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
  assertFlat(field);
  return name;
}

/** The Parquet field id of the column, for `id` mode. */
export function fieldId(field: StructField): number {
  const id = field.metadata?.[FIELD_ID];
  if (typeof id !== 'number' || !Number.isInteger(id)) throw new UnsupportedProtocolError(`column "${field.name}" has no ${FIELD_ID} in a table with column mapping in id mode`);
  return id;
}

/** Nested fields have physical names of their own: reading them needs a mapping of every level, which this library does not have. */
function assertFlat(field: StructField): void {
  if (typeof field.type !== 'string') throw new UnsupportedProtocolError(`column "${field.name}" is nested in a table with column mapping, which this library does not read`);
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
