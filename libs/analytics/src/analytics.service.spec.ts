import { rmSync } from 'node:fs';
import { DeltaTable } from '@app/delta';
import { CLIENT_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { syntheticClientDays, tempLakehouse, writeSilver } from '../test/silver-fixtures';
import { AnalyticsService } from './analytics.service';

describe('AnalyticsService answers', () => {
  const root = tempLakehouse();
  let analytics: AnalyticsService;

  beforeAll(async () => {
    await writeSilver(root, syntheticClientDays(10, 5, '2024-09-01'));
    analytics = new AnalyticsService({ lakehouseRoot: root, cacheMaxBytes: 1 << 20, refreshIntervalMs: 60_000 });
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('keeps an encoding of an answer with it, made once and counted in the cache bytes', async () => {
    const answer = await analytics.segmentRevenue({ limit: 10, offset: 0 });
    const before = analytics.cachedAnswerBytes;
    const encode = jest.fn((json: string) => Buffer.from(json.toUpperCase()));
    const bytes = answer.encoded('upper', encode);
    expect(bytes.toString()).toBe(answer.json.toUpperCase());
    expect(analytics.cachedAnswerBytes).toBe(before + 'upper'.length + bytes.length);
    // The same answer, asked again, comes from the cache with its encoding.
    const again = await analytics.segmentRevenue({ limit: 10, offset: 0 });
    expect(again.encoded('upper', encode)).toBe(bytes);
    expect(encode).toHaveBeenCalledTimes(1);
    expect(analytics.cachedAnswerBytes).toBe(before + 'upper'.length + bytes.length);
  });

  it('pages with the total of the whole list, also past its end', async () => {
    const all = JSON.parse((await analytics.topCustomers({ limit: 100, offset: 0 })).json);
    expect(all.page).toEqual({ limit: 100, offset: 0, total: 10 });
    const window = JSON.parse((await analytics.topCustomers({ limit: 3, offset: 4 })).json);
    expect(window.page).toEqual({ limit: 3, offset: 4, total: 10 });
    expect(window.customers).toEqual(all.customers.slice(4, 7));
    const past = JSON.parse((await analytics.topCustomers({ limit: 3, offset: 50 })).json);
    expect(past.page).toEqual({ limit: 3, offset: 50, total: 10 });
    expect(past.customers).toEqual([]);
    expect(Object.keys(all.customers[0])).not.toContain('page_total');
  });
});

describe('AnalyticsService warming', () => {
  const root = tempLakehouse();
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('makes the most asked answers again when a silver table gets a new version, so the first request after it finds them cached', async () => {
    const rows = syntheticClientDays(10, 5, '2024-09-01');
    await writeSilver(root, rows);
    const lookups: string[] = [];
    const warmed: string[] = [];
    const analytics = new AnalyticsService({
      lakehouseRoot: root,
      cacheMaxBytes: 1 << 20,
      refreshIntervalMs: 20,
      warmAnswers: 2,
      onCacheLookup: (endpoint, hit) => lookups.push(`${endpoint} ${hit ? 'hit' : 'miss'}`),
      onAnswerWarmed: (endpoint, result) => warmed.push(`${endpoint} ${result}`),
    });
    try {
      const trends = () => analytics.revenueTrends({ granularity: 'day', limit: 100, offset: 0 });
      const top = () => analytics.topCustomers({ limit: 3, offset: 0 });
      const customer = () => analytics.customer(1, { limit: 10, offset: 0 });
      for (let i = 0; i < 3; i++) await trends();
      for (let i = 0; i < 2; i++) await top();
      await customer(); // asked least: not among the 2 warmed
      await analytics.topCustomers({ limit: 3, offset: 0 }, { version: 0 }); // time travel: never warmed
      const before = JSON.parse((await trends()).json);
      analytics.startPolling();

      const table = await DeltaTable.open(tableLocation(root, CLIENT_AGGREGATES_TABLE));
      await table.append({ rows: rows.slice(0, 1).map((r) => ({ ...r, jour: '2024-09-06' })) });
      const deadline = Date.now() + 5_000;
      while (warmed.filter((w) => w.endsWith('computed')).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(warmed).toEqual(['revenue-trends computed', 'top-customers computed']);

      lookups.length = 0;
      const after = JSON.parse((await trends()).json);
      await top();
      await customer();
      expect(lookups).toEqual(['revenue-trends hit', 'top-customers hit', 'customer miss']);
      expect(after.source.version).toBe(before.source.version + 1);
      expect(after.periods.map((p: { period: string }) => p.period)).toContain('2024-09-06');
    } finally {
      analytics.close();
    }
  });
});
