import { AddAction, countRecords, DeltaTable } from '@app/delta';
import { CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE } from '@app/schemas';
import { CUSTOMER_TOTALS_TABLE, SALE_OCCURRENCES_TABLE } from './state-tables';

export type SilverTableName =
  | typeof CLIENT_AGGREGATES_TABLE.name
  | typeof COUNTRY_AGGREGATES_TABLE.name
  | typeof SEGMENT_AGGREGATES_TABLE.name
  | typeof SALE_OCCURRENCES_TABLE.name
  | typeof CUSTOMER_TOTALS_TABLE.name;

/** Rows in the table's live files; with `partitions`, only in files of those partition-value maps. */
export function liveRows(table: DeltaTable, partitions?: Record<string, string>[]): number {
  const inPartitions = (f: AddAction) => !partitions || partitions.some((p) => Object.entries(p).every(([k, v]) => f.partitionValues[k] === v));
  return countRecords(table.snapshot.files().filter(inPartitions));
}
