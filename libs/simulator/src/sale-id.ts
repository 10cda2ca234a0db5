/**
 * vente_id: unique across restarts and replicas, and a safe JSON integer (< 2^53), so 53 bits:
 * 41 bits of milliseconds since 2024-01-01 (69 years), 4 bits of instance id (16 replicas),
 * 8 bits of sequence (256 ids per ms per instance). A restart never reuses an id because the
 * clock has moved on; a clock that goes back waits until it has caught up.
 */
const EPOCH_MS = Date.UTC(2024, 0, 1);
const INSTANCE_BITS = 4n;
const SEQUENCE_BITS = 8n;
export const MAX_INSTANCE_ID = 2 ** Number(INSTANCE_BITS) - 1;

export class SaleIdGenerator {
  private lastMs = -1;
  private sequence = 0;

  constructor(
    private readonly instanceId: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(instanceId) || instanceId < 0 || instanceId > MAX_INSTANCE_ID) {
      throw new Error(`instance id must be 0..${MAX_INSTANCE_ID}, got ${instanceId}`);
    }
  }

  next(): number {
    let ms = this.now() - EPOCH_MS;
    if (ms < this.lastMs) ms = this.lastMs; // clock went back: keep counting in the last millisecond
    if (ms === this.lastMs) {
      this.sequence++;
      if (this.sequence >= 2 ** Number(SEQUENCE_BITS)) {
        // Borrow the next millisecond rather than block; ids stay unique and increasing.
        ms = this.lastMs + 1;
        this.sequence = 0;
      }
    } else {
      this.sequence = 0;
    }
    this.lastMs = ms;
    return Number((BigInt(ms) << (INSTANCE_BITS + SEQUENCE_BITS)) | (BigInt(this.instanceId) << SEQUENCE_BITS) | BigInt(this.sequence));
  }
}

/** Instance id from config, else a StatefulSet ordinal at the end of the host name (`producer-3`), else 0. */
export function instanceIdFrom(configured: number | undefined, hostname: string): number {
  if (configured !== undefined && configured >= 0) return configured;
  const m = /-(\d+)$/.exec(hostname);
  return m ? Number(m[1]) % (MAX_INSTANCE_ID + 1) : 0;
}
