/**
 * The platform's tables as operator commands name them: their path under LAKEHOUSE_ROOT
 * (`bronze/ventes_stream`, `silver/ventes_aggreges`...), silver's own state tables included.
 */
import { BRONZE_TABLE, QUARANTINE_TABLE, SILVER_TABLES, TableDefinition, tableLocation } from '@app/schemas';
import { CUSTOMER_TOTALS_TABLE, SALE_OCCURRENCES_TABLE } from '@app/silver';
import { InvalidOptionError } from './cli-options';

const PLATFORM_TABLES: readonly TableDefinition[] = [BRONZE_TABLE, QUARANTINE_TABLE, ...SILVER_TABLES, SALE_OCCURRENCES_TABLE, CUSTOMER_TOTALS_TABLE];

export const PLATFORM_TABLE_NAMES = PLATFORM_TABLES.map((t) => `${t.layer}/${t.name}`);

/** The location of `--table <layer>/<name>` under the lakehouse root; an unknown name is an InvalidOptionError listing the known ones. */
export function platformTableLocation(lakehouseRoot: string, name: string | undefined): string {
  const def = PLATFORM_TABLES.find((t) => `${t.layer}/${t.name}` === name);
  if (!def) throw new InvalidOptionError('table', `${name === undefined ? 'required' : `unknown table "${name}"`}; one of ${PLATFORM_TABLE_NAMES.join(', ')}`);
  return tableLocation(lakehouseRoot, def);
}
