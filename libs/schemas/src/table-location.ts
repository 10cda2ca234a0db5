import * as path from 'node:path';
import { DeltaTable } from '@app/delta';
import { TableDefinition } from './tables';

/** Where a platform table lives: `<lakehouse root>/<layer>/<name>`, e.g. `bronze/ventes_stream`. */
export function tableLocation(lakehouseRoot: string, def: TableDefinition): string {
  return path.join(lakehouseRoot, def.layer, def.name);
}

/** Opens a platform table, creating it with its contract schema when missing (a different existing schema is refused). */
export function openOrCreateTable(lakehouseRoot: string, def: TableDefinition): Promise<DeltaTable> {
  return DeltaTable.openOrCreate(tableLocation(lakehouseRoot, def), {
    schema: def.schema,
    partitionColumns: def.partitionColumns,
    name: def.name,
    description: def.description,
    configuration: def.configuration,
  });
}
