import { validateCronExpression } from 'cron';
import { ConfigError, EnvConfig, EnvSpec, HTTP_ENV, LAKEHOUSE_ENV, loadEnv } from '@app/common';
import { DEFAULT_SPENDING_THRESHOLDS } from '@app/silver';

export const SILVER_ENV = {
  ...HTTP_ENV,
  PORT: { ...HTTP_ENV.PORT, default: '3002' },
  ...LAKEHOUSE_ENV,
  SILVER_CRON: {
    kind: 'string',
    default: '0 0 * * * *',
    description: 'When the silver refresh runs, in cron 4.x syntax (optional leading seconds field), UTC; default: hourly on the hour',
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
} as const satisfies EnvSpec;

export type SilverConfig = EnvConfig<typeof SILVER_ENV>;

/**
 * loadEnv plus what a per-variable spec cannot check: the cron expression parses (the cron job
 * would otherwise only fail once the app is being bootstrapped) and the thresholds are ordered.
 */
export function loadSilverConfig(env: NodeJS.ProcessEnv = process.env): SilverConfig {
  const config = loadEnv(SILVER_ENV, env);
  const problems: string[] = [];
  const cron = validateCronExpression(config.SILVER_CRON);
  if (!cron.valid) {
    problems.push(`SILVER_CRON: expected a cron expression such as "0 0 * * * *", got "${config.SILVER_CRON}" (${cron.error?.message ?? 'invalid'})`);
  }
  if (config.SILVER_STANDARD_THRESHOLD > config.SILVER_PREMIUM_THRESHOLD) {
    problems.push(
      `SILVER_STANDARD_THRESHOLD: expected at most SILVER_PREMIUM_THRESHOLD (${config.SILVER_PREMIUM_THRESHOLD}), got "${config.SILVER_STANDARD_THRESHOLD}"`,
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}
