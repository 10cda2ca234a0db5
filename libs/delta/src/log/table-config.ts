/** Table properties (`metaData.configuration`) this library honours, with Delta's defaults. */
export interface TableConfig {
  checkpointInterval: number;
  logRetentionMs: number;
  deletedFileRetentionMs: number;
  enableExpiredLogCleanup: boolean;
  appendOnly: boolean;
}

const UNIT_MS: Record<string, number> = {
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};

/** Parses Delta's `interval <n> <unit>` (Spark CalendarInterval strings, e.g. "interval 7 days"). */
export function parseInterval(text: string): number {
  const m = /^\s*(?:interval\s+)?(\d+)\s+([a-z]+?)s?\s*$/i.exec(text);
  if (!m || !(m[2].toLowerCase() in UNIT_MS)) throw new Error(`invalid interval "${text}", expected e.g. "interval 7 days"`);
  return Number(m[1]) * UNIT_MS[m[2].toLowerCase()];
}

export function tableConfig(configuration: Record<string, string>): TableConfig {
  const interval = Number(configuration['delta.checkpointInterval'] ?? 10);
  if (!Number.isInteger(interval) || interval < 1) throw new Error(`invalid delta.checkpointInterval "${configuration['delta.checkpointInterval']}"`);
  return {
    checkpointInterval: interval,
    logRetentionMs: parseInterval(configuration['delta.logRetentionDuration'] ?? 'interval 30 days'),
    deletedFileRetentionMs: parseInterval(configuration['delta.deletedFileRetentionDuration'] ?? 'interval 1 week'),
    enableExpiredLogCleanup: (configuration['delta.enableExpiredLogCleanup'] ?? 'true') === 'true',
    appendOnly: configuration['delta.appendOnly'] === 'true',
  };
}
