import * as path from 'node:path';
import { isObjectStoreUri } from '@app/delta/core';
import { TableDefinition } from './tables';

/**
 * Where a platform table lives: `<lakehouse root>/<layer>/<name>`, e.g. `bronze/ventes_stream`,
 * under a folder or an `s3://bucket/prefix` root (joined as a URI: path.join would fold `//`).
 */
export function tableLocation(lakehouseRoot: string, def: TableDefinition): string {
  if (isObjectStoreUri(lakehouseRoot)) return `${lakehouseRoot.replace(/\/+$/, '')}/${def.layer}/${def.name}`;
  return path.join(lakehouseRoot, def.layer, def.name);
}
