import { ConfigError, loadEnv, parseDuration } from './env';
import { BRONZE_ENV } from '../../../../apps/bronze-ingestor/src/config';
import { PRODUCER_ENV } from '../../../../apps/producer/src/config';

describe('loadEnv', () => {
  it('applies defaults and parses each kind', () => {
    const cfg = loadEnv(BRONZE_ENV, { KAFKA_BROKERS: 'a:9092, b:9092', WATERMARK_DELAY: '90s', FLUSH_MAX_ROWS: '1000' });
    expect(cfg.KAFKA_BROKERS).toEqual(['a:9092', 'b:9092']);
    expect(cfg.WATERMARK_DELAY).toBe(90_000);
    expect(cfg.FLUSH_MAX_ROWS).toBe(1000);
    expect(cfg.FLUSH_MAX_LATENCY).toBe(1000);
    expect(cfg.KAFKA_TOPIC).toBe('ventes_stream');
    expect(cfg.PORT).toBe(3001);
  });

  it('names every bad variable and what it expected', () => {
    let error: unknown;
    try {
      loadEnv(PRODUCER_ENV, { PRODUCER_RATE: 'fast', PORT: '70000', LOG_LEVEL: 'chatty', PRODUCER_INSTANCE_ID: '16' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PRODUCER_RATE: expected a number/);
    expect(problems).toMatch(/PORT: expected an integer <= 65535, got "70000"/);
    expect(problems).toMatch(/LOG_LEVEL: expected one of fatal, error, warn, log, debug, verbose, got "chatty"/);
    expect(problems).toMatch(/PRODUCER_INSTANCE_ID: expected an integer <= 15/);
  });

  it('reports a required variable that is missing', () => {
    expect(() => loadEnv({ NEEDED: { kind: 'string', description: 'something required' } }, {})).toThrow(/NEEDED: required \(something required\)/);
  });

  it('parses durations', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1500')).toBe(1500);
    expect(parseDuration('soon')).toBeUndefined();
  });
});
