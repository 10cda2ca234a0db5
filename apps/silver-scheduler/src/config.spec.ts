import { ConfigError } from '@app/common';
import { loadSilverConfig } from './config';

describe('silver-scheduler configuration', () => {
  it('has hourly refreshes and documented thresholds by default', () => {
    expect(loadSilverConfig({})).toMatchObject({ PORT: 3002, SILVER_CRON: '0 0 * * * *', SILVER_PREMIUM_THRESHOLD: 1000, SILVER_STANDARD_THRESHOLD: 200 });
  });

  it('accepts 5-field cron expressions too', () => {
    expect(loadSilverConfig({ SILVER_CRON: '*/15 * * * *' }).SILVER_CRON).toBe('*/15 * * * *');
  });

  it('stops start-up on a bad cron expression, naming SILVER_CRON', () => {
    expect(() => loadSilverConfig({ SILVER_CRON: 'every hour' })).toThrow(ConfigError);
    expect(() => loadSilverConfig({ SILVER_CRON: '0 61 * * *' })).toThrow(/SILVER_CRON: expected a cron expression.*"0 61 \* \* \*"/);
  });

  it('refuses a Standard threshold above the Premium one', () => {
    expect(() => loadSilverConfig({ SILVER_PREMIUM_THRESHOLD: '100', SILVER_STANDARD_THRESHOLD: '150' })).toThrow(/SILVER_STANDARD_THRESHOLD: expected at most SILVER_PREMIUM_THRESHOLD/);
    expect(() => loadSilverConfig({ SILVER_PREMIUM_THRESHOLD: '-1' })).toThrow(/SILVER_PREMIUM_THRESHOLD/);
  });
});

describe('silver-scheduler configuration: bronze follow, retries, memory, maintenance', () => {
  it('follows bronze every 30 s, keeps 90 days of bronze and quarantine by default', () => {
    expect(loadSilverConfig({})).toMatchObject({
      SILVER_BRONZE_POLL_INTERVAL: 30_000,
      SILVER_RETRY_MIN_DELAY: 10_000,
      SILVER_RETRY_MAX_DELAY: 600_000,
      SILVER_MEMORY_LIMIT: 'none',
      MAINTENANCE_CRON: '0 30 3 * * *',
      BRONZE_RETENTION_DAYS: 90,
      QUARANTINE_RETENTION_DAYS: 90,
    });
    expect(loadSilverConfig({ SILVER_BRONZE_POLL_INTERVAL: '0' }).SILVER_BRONZE_POLL_INTERVAL).toBe(0);
    expect(loadSilverConfig({ SILVER_MEMORY_LIMIT: '2GB' }).SILVER_MEMORY_LIMIT).toBe('2GB');
  });

  it('stops start-up naming the variable', () => {
    expect(() => loadSilverConfig({ SILVER_BRONZE_POLL_INTERVAL: 'often' })).toThrow(/SILVER_BRONZE_POLL_INTERVAL/);
    expect(() => loadSilverConfig({ SILVER_RETRY_MIN_DELAY: '1m', SILVER_RETRY_MAX_DELAY: '10s' })).toThrow(/SILVER_RETRY_MAX_DELAY/);
    expect(() => loadSilverConfig({ SILVER_MEMORY_LIMIT: 'lots' })).toThrow(/SILVER_MEMORY_LIMIT/);
    expect(() => loadSilverConfig({ MAINTENANCE_CRON: 'nightly' })).toThrow(/MAINTENANCE_CRON/);
    expect(() => loadSilverConfig({ BRONZE_RETENTION_DAYS: '-1' })).toThrow(/BRONZE_RETENTION_DAYS/);
  });
});
