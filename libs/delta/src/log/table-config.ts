import { InvalidArgumentError } from '../errors';

/** Table properties (`metaData.configuration`) this library honours, with Delta's defaults. */
export interface TableConfig {
  checkpointInterval: number;
  logRetentionMs: number;
  deletedFileRetentionMs: number;
  enableExpiredLogCleanup: boolean;
  appendOnly: boolean;
  autoCompact: AutoCompactConfig;
}

/**
 * Auto-compaction after each commit that adds data (Databricks' `delta.autoOptimize.autoCompact`):
 * a partition the commit wrote to is compacted once it holds `minNumFiles` files smaller than
 * `maxFileSize` bytes.
 */
export interface AutoCompactConfig {
  enabled: boolean;
  minNumFiles: number;
  maxFileSize: number;
}

function positiveInteger(configuration: Record<string, string>, key: string, fallback: number): number {
  const text = configuration[key];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`invalid ${key} "${text}", expected a positive integer`);
  return n;
}

function autoCompactConfig(configuration: Record<string, string>): AutoCompactConfig {
  const mode = (configuration['delta.autoOptimize.autoCompact'] ?? 'false').toLowerCase();
  // Databricks also accepts "auto" and "legacy" for the enabled modes.
  if (!['true', 'false', 'auto', 'legacy'].includes(mode)) {
    throw new InvalidArgumentError(`invalid delta.autoOptimize.autoCompact "${mode}", expected true or false`);
  }
  return {
    enabled: mode !== 'false',
    minNumFiles: Math.max(2, positiveInteger(configuration, 'lakehouse.autoCompact.minNumFiles', 50)),
    maxFileSize: positiveInteger(configuration, 'lakehouse.autoCompact.maxFileSize', 128 * 1024 * 1024),
  };
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
  if (!m || !(m[2].toLowerCase() in UNIT_MS)) throw new InvalidArgumentError(`invalid interval "${text}", expected e.g. "interval 7 days"`);
  return Number(m[1]) * UNIT_MS[m[2].toLowerCase()];
}

export function tableConfig(configuration: Record<string, string>): TableConfig {
  const interval = Number(configuration['delta.checkpointInterval'] ?? 10);
  if (!Number.isInteger(interval) || interval < 1) throw new InvalidArgumentError(`invalid delta.checkpointInterval "${configuration['delta.checkpointInterval']}"`);
  return {
    checkpointInterval: interval,
    logRetentionMs: parseInterval(configuration['delta.logRetentionDuration'] ?? 'interval 30 days'),
    deletedFileRetentionMs: parseInterval(configuration['delta.deletedFileRetentionDuration'] ?? 'interval 1 week'),
    enableExpiredLogCleanup: (configuration['delta.enableExpiredLogCleanup'] ?? 'true') === 'true',
    appendOnly: configuration['delta.appendOnly'] === 'true',
    autoCompact: autoCompactConfig(configuration),
  };
}
