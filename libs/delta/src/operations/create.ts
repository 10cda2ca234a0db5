import { randomUUID } from 'node:crypto';
import { Action, MetadataAction, ProtocolAction } from '../protocol/actions';
import { protocolForSchema } from '../protocol/protocol-support';
import { serializeSchema, StructType } from '../schema/types';
import { tableConfig } from '../log/table-config';
import { commitWithRetries, TableLog } from '../log/transaction';
import { InvalidArgumentError } from '../errors';
import { footprint } from '../log/conflict-checker';

export interface CreateTableOptions {
  schema: StructType;
  partitionColumns?: string[];
  /** Table properties, e.g. `delta.checkpointInterval`, `delta.appendOnly`. */
  configuration?: Record<string, string>;
  name?: string;
  description?: string;
}

/** Commits version 0: protocol (1, 2, or 3, 7 with timestampNtz: protocolForSchema), metaData and a CREATE TABLE commitInfo. */
export async function createTableLog(log: TableLog, opts: CreateTableOptions): Promise<Action[]> {
  const partitionColumns = opts.partitionColumns ?? [];
  for (const c of partitionColumns) {
    if (!opts.schema.fields.some((f) => f.name === c)) throw new InvalidArgumentError(`partition column "${c}" is not in the schema`);
  }
  const configuration = opts.configuration ?? {};
  tableConfig(configuration);
  const protocol: ProtocolAction = protocolForSchema(opts.schema);
  const metaData: MetadataAction = {
    id: randomUUID(),
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.description ? { description: opts.description } : {}),
    format: { provider: 'parquet', options: {} },
    schemaString: serializeSchema(opts.schema),
    partitionColumns,
    configuration,
    createdTime: log.clock(),
  };
  const result = await commitWithRetries(
    log.store,
    {
      actions: [{ protocol }, { metaData }],
      operation: 'CREATE TABLE',
      operationParameters: {
        partitionBy: JSON.stringify(partitionColumns),
        ...(opts.description ? { description: opts.description } : {}),
        properties: JSON.stringify(configuration),
      },
      readVersion: -1,
      isBlindAppend: true,
      footprint: footprint({ changesMetadata: true }),
    },
    { maxRetries: 0, clock: log.clock },
  );
  return result.actions;
}
