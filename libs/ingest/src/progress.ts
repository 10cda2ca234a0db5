import { microsToIso } from '@app/delta/core';

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
  /** Events dated too far ahead of the ingestor's clock (quarantined as future_event). */
  numFutureRows: number;
  numRejectedRows: number;
}

/** Event times of a micro-batch, in epoch microseconds: what a worker's reply carries of EventTimeStats. */
export interface EventTimeTotals {
  count: number;
  min: number;
  max: number;
  sum: number;
}

/** Event times of a micro-batch, summed up as they are seen. */
export class EventTimeStats implements EventTimeTotals {
  count = 0;
  min = Infinity;
  max = -Infinity;
  sum = 0;

  add(micros: number): void {
    this.count++;
    this.sum += micros;
    if (micros < this.min) this.min = micros;
    if (micros > this.max) this.max = micros;
  }
}

export function eventTimeSummary(times: EventTimeTotals, watermark?: number): BatchProgress['eventTime'] {
  const out: BatchProgress['eventTime'] = {};
  if (watermark !== undefined) out.watermark = microsToIso(watermark);
  if (times.count === 0) return out;
  return { ...out, min: microsToIso(times.min), max: microsToIso(times.max), avg: microsToIso(times.sum / times.count) };
}
