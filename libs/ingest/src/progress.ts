import { microsToIso } from '@app/delta';

/** One micro-batch, in the shape of Spark's StreamingQueryProgress (`query.recentProgress`). */
export interface BatchProgress {
  id: string;
  runId: string;
  name: string;
  batchId: number;
  timestamp: string;
  numInputRows: number;
  inputRowsPerSecond: number;
  processedRowsPerSecond: number;
  durationMs: { getBatch: number; addBatch: number; commitOffsets: number; triggerExecution: number };
  eventTime: { min?: string; max?: string; avg?: string; watermark?: string };
  sources: Array<{ description: string; startOffset: Record<string, number>; endOffset: Record<string, number>; numInputRows: number }>;
  sink: { description: string; numOutputRows: number; deltaVersion?: number };
  numLateRows: number;
  numRejectedRows: number;
}

export function eventTimeSummary(times: readonly bigint[], watermark?: bigint): BatchProgress['eventTime'] {
  const out: BatchProgress['eventTime'] = {};
  if (watermark !== undefined) out.watermark = microsToIso(watermark);
  if (times.length === 0) return out;
  let min = times[0];
  let max = times[0];
  let sum = 0n;
  for (const t of times) {
    if (t < min) min = t;
    if (t > max) max = t;
    sum += t;
  }
  return { ...out, min: microsToIso(min), max: microsToIso(max), avg: microsToIso(sum / BigInt(times.length)) };
}
