import { LruCache } from './lru-cache';

describe('LruCache', () => {
  it('evicts the least recently used entry, reporting it', () => {
    const evicted: string[] = [];
    const cache = new LruCache<string, number>(2, (_v, k) => evicted.push(k));
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // now b is the oldest
    cache.set('c', 3);
    expect(evicted).toEqual(['b']);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.size]).toEqual([1, 3, 2]);
  });

  it('getOrCreate computes once, reports hits and misses, and forgets failed promises', async () => {
    const cache = new LruCache<string, Promise<number>>(10);
    const lookups: boolean[] = [];
    let calls = 0;
    const compute = () => Promise.resolve(++calls);
    const [a, b] = [cache.getOrCreate('k', compute, (hit) => lookups.push(hit)), cache.getOrCreate('k', compute, (hit) => lookups.push(hit))];
    expect(await a).toBe(1);
    expect(await b).toBe(1);
    expect(lookups).toEqual([false, true]);

    await expect(cache.getOrCreate('bad', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await Promise.resolve();
    expect(await cache.getOrCreate('bad', () => Promise.resolve(7))).toBe(7);
  });

  it('refuses a size below 1', () => {
    expect(() => new LruCache(0)).toThrow('maxCost');
  });

  it('bounds the sum of the costs, evicting the oldest entries, and takes a cost known later', () => {
    const evicted: string[] = [];
    const cache = new LruCache<string, string>(100, (_v, k) => evicted.push(k));
    cache.set('a', 'x', 40);
    cache.set('b', 'y', 40);
    cache.set('c', 'z', 40);
    expect(evicted).toEqual(['a']);
    expect(cache.cost).toBe(80);
    cache.setCost('c', 'z', 90); // b goes, c stays though it alone is near the bound
    expect(evicted).toEqual(['a', 'b']);
    expect([cache.size, cache.cost]).toEqual([1, 90]);
    cache.setCost('c', 'other value', 1); // not the entry's value any more: ignored
    expect(cache.cost).toBe(90);
    expect(cache.evictOldest()).toBe(true);
    expect([cache.size, cache.cost, cache.evictOldest()]).toEqual([0, 0, false]);
  });
});
