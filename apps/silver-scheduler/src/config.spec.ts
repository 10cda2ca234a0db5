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
