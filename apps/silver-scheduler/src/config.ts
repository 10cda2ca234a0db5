import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { validateCronExpression } from 'cron';
import { AUTH_ENV, ConfigError, EnvConfig, EnvSpec, HTTP_ENV, LAKEHOUSE_ENV, loadEnv } from '@app/common';
import { DEFAULT_SPENDING_THRESHOLDS } from '@app/silver';

export const SILVER_ENV = {
  ...HTTP_ENV,
  PORT: { ...HTTP_ENV.PORT, default: '3002' },
  ...LAKEHOUSE_ENV,
  ...AUTH_ENV,
  SILVER_CRON: {
    kind: 'string',
    default: '0 0 * * * *',
    description: 'When the silver refresh runs, in cron 4.x syntax (optional leading seconds field), UTC; default: hourly on the hour',
  },
  SILVER_BRONZE_POLL_INTERVAL: {
    kind: 'duration',
    min: 0,
    default: '30s',
    description: 'How often silver looks for new bronze commits and, when there are, runs: the minimum interval between runs started by bronze (0 disables)',
  },
  SILVER_RETRY_MIN_DELAY: { kind: 'duration', min: 1, default: '10s', description: 'Delay before retrying a failed silver run; doubled after each further failure' },
  SILVER_RETRY_MAX_DELAY: { kind: 'duration', min: 1, default: '10m', description: 'Longest delay between retries of a failing silver run' },
  SILVER_STALE_AFTER: {
    kind: 'duration',
    min: 0,
    default: '0',
    description: 'Readiness fails when the last successful silver run is older than this (0: twice the SILVER_CRON period)',
  },
  SILVER_MEMORY_LIMIT: {
    kind: 'string',
    default: 'none',
    description: "DuckDB memory limit for silver's aggregation queries (e.g. 512MB, 2GB), beyond which they spill to SILVER_TEMP_DIRECTORY; none: DuckDB's default (80% of RAM)",
  },
  SILVER_TEMP_DIRECTORY: {
    kind: 'string',
    default: path.join(tmpdir(), 'silver-duckdb'),
    description: 'Folder DuckDB spills to when a silver query exceeds SILVER_MEMORY_LIMIT',
  },
  SILVER_PREMIUM_THRESHOLD: {
    kind: 'number',
    min: 0,
    default: String(DEFAULT_SPENDING_THRESHOLDS.premium),
    description: 'A client day spending at least this many EUR is Premium (segment_depense)',
  },
  SILVER_STANDARD_THRESHOLD: {
    kind: 'number',
    min: 0,
    default: String(DEFAULT_SPENDING_THRESHOLDS.standard),
    description: 'A client day spending at least this many EUR (and less than the Premium threshold) is Standard; below is Economy',
  },
  MAINTENANCE_CRON: {
    kind: 'string',
    default: '0 30 3 * * *',
    description: 'When maintenance runs (retention, vacuum, log cleanup of every table), in cron syntax, UTC; default: daily at 03:30',
  },
  BRONZE_RETENTION_DAYS: { kind: 'int', min: 0, default: '90', description: 'Event days kept in bronze/ventes_stream (older jour partitions are removed by maintenance; 0 keeps all)' },
  QUARANTINE_RETENTION_DAYS: { kind: 'int', min: 0, default: '90', description: 'Ingestion days kept in bronze/ventes_quarantine (0 keeps all)' },
} as const satisfies EnvSpec;

export type SilverConfig = EnvConfig<typeof SILVER_ENV>;

/**
 * loadEnv plus what a per-variable spec cannot check: the cron expressions parse (the cron jobs
 * would otherwise only fail once the app is being bootstrapped), the thresholds and retry delays
 * are ordered, and the memory limit is a size DuckDB reads.
 */
export function loadSilverConfig(env: NodeJS.ProcessEnv = process.env): SilverConfig {
  const config = loadEnv(SILVER_ENV, env);
  const problems: string[] = [];
  for (const name of ['SILVER_CRON', 'MAINTENANCE_CRON'] as const) {
    const cron = validateCronExpression(config[name]);
    if (!cron.valid) problems.push(`${name}: expected a cron expression such as "0 0 * * * *", got "${config[name]}" (${cron.error?.message ?? 'invalid'})`);
  }
  if (config.SILVER_STANDARD_THRESHOLD > config.SILVER_PREMIUM_THRESHOLD) {
    problems.push(
      `SILVER_STANDARD_THRESHOLD: expected at most SILVER_PREMIUM_THRESHOLD (${config.SILVER_PREMIUM_THRESHOLD}), got "${config.SILVER_STANDARD_THRESHOLD}"`,
    );
  }
  if (config.SILVER_RETRY_MAX_DELAY < config.SILVER_RETRY_MIN_DELAY) {
    problems.push(`SILVER_RETRY_MAX_DELAY: expected at least SILVER_RETRY_MIN_DELAY (${config.SILVER_RETRY_MIN_DELAY} ms), got ${config.SILVER_RETRY_MAX_DELAY} ms`);
  }
  if (config.SILVER_MEMORY_LIMIT !== 'none' && !/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(config.SILVER_MEMORY_LIMIT.trim())) {
    problems.push(`SILVER_MEMORY_LIMIT: expected a size such as 512MB or 2GB, or none, got "${config.SILVER_MEMORY_LIMIT}"`);
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}
