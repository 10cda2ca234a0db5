import { DeltaTable } from '@app/delta';
import { BRONZE_TABLE, tableLocation } from '@app/schemas';
import { listQuarantine, QuarantinePage } from './quarantine-query';
import { openQuarantineTable } from './quarantine-table';
import { replayQuarantine, ReplayOptions, ReplayReport } from './replay';
import { parseListParams, parseReplayParams } from './selection-params';

/**
 * Browse and replay, from raw parameters (an HTTP query or body, CLI options): what the
 * ingestor's endpoints and `npm run quarantine` both run. Each call opens its own table
 * instances, so a replay never shares a snapshot with the ingestor's writer.
 */
export class QuarantineOperations {
  constructor(
    private readonly lakehouseRoot: string,
    private readonly options: Pick<ReplayOptions, 'appId' | 'watermarkDelayMs' | 'maxEventTimeAheadMs'>,
  ) {}

  /** Throws InvalidSelectionError naming a bad parameter. */
  async list(params: Record<string, unknown>): Promise<QuarantinePage> {
    const { selection, limit, offset } = parseListParams(params);
    return listQuarantine(await openQuarantineTable(this.lakehouseRoot), selection, { limit, offset });
  }

  /** Throws InvalidSelectionError naming a bad parameter. */
  async replay(params: Record<string, unknown>, onChunk?: ReplayOptions['onChunk']): Promise<ReplayReport> {
    const { selection, ...flags } = parseReplayParams(params);
    const [bronze, quarantine]: [DeltaTable, DeltaTable] = await Promise.all([
      DeltaTable.openOrCreate(tableLocation(this.lakehouseRoot, BRONZE_TABLE), BRONZE_TABLE),
      openQuarantineTable(this.lakehouseRoot),
    ]);
    return replayQuarantine(bronze, quarantine, selection, { ...this.options, ...flags, onChunk });
  }
}
