/**
 * Tells when a quarantine reason starts firing: its first occurrence, or the first after it was
 * quiet for `quietMs`. The ingestor logs a warning then, once, instead of a line per event.
 */
export class ReasonOnsets {
  private readonly lastSeen = new Map<string, number>();

  constructor(private readonly quietMs: number) {}

  /** The reasons among `counts` (quarantined rows per reason) that start firing at `nowMs`. */
  observe(counts: Record<string, number>, nowMs: number): string[] {
    const starting: string[] = [];
    for (const [reason, n] of Object.entries(counts)) {
      if (n <= 0) continue;
      const last = this.lastSeen.get(reason);
      if (last === undefined || nowMs - last >= this.quietMs) starting.push(reason);
      this.lastSeen.set(reason, nowMs);
    }
    return starting;
  }
}
