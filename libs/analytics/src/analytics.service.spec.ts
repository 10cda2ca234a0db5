import { rmSync } from 'node:fs';
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
