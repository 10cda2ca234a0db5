import * as path from 'node:path';
import { DeltaTable, isObjectStoreUri } from '@app/delta';
import { TableDefinition } from './tables';

/**
 * Where a platform table lives: `<lakehouse root>/<layer>/<name>`, e.g. `bronze/ventes_stream`,
 * under a folder or an `s3://bucket/prefix` root (joined as a URI: path.join would fold `//`).
 */
export function tableLocation(lakehouseRoot: string, def: TableDefinition): string {
  if (isObjectStoreUri(lakehouseRoot)) return `${lakehouseRoot.replace(/\/+$/, '')}/${def.layer}/${def.name}`;
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
