import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../../test/fixtures';
import { setMtime } from '../../test/helpers';
import { LocalCopies } from './local-copies';

const MIN = 60_000;
const bytes = (n: number, fill = 'x') => async () => Buffer.from(fill.repeat(n));

/** A clock the test moves by hand. */
function fakeClock(start = Date.now()) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('LocalCopies: local copies of object-store files within a byte budget', () => {
  it('evicts the least recently used copies once past the budget; a use makes a copy recent again', async () => {
    const dir = tempDir('copies-');
    const clock = fakeClock();
    const copies = new LocalCopies(dir, { maxBytes: 250, holdMs: MIN, clock: clock.now });
    const file = (name: string) => path.join(dir, name);
    const fetched: string[] = [];
    const get = (name: string) => {
      clock.advance(2 * MIN); // each use comes after the hold of the previous ones
      return copies.get(file(name), async () => (fetched.push(name), Buffer.alloc(100)));
    };
    await get('a');
    await get('b');
    expect(copies.bytes).toBe(200);
    await get('c');
    expect([existsSync(file('a')), existsSync(file('b')), existsSync(file('c'))]).toEqual([false, true, true]);
    expect(copies.bytes).toBe(200);

    await get('b'); // b is now more recent than c
    await get('d');
    expect([existsSync(file('b')), existsSync(file('c')), existsSync(file('d'))]).toEqual([true, false, true]);
    expect(fetched).toEqual(['a', 'b', 'c', 'd']); // the second use of b read the copy

    await get('a'); // an evicted copy is fetched again
    expect(fetched).toEqual(['a', 'b', 'c', 'd', 'a']);
    expect(await fs.readFile(file('a'))).toEqual(Buffer.alloc(100));
    expect(copies.bytes).toBeLessThanOrEqual(250);
  });

  it('never evicts a copy used within the hold time (a query may be reading it): the budget waits', async () => {
    const dir = tempDir('copies-');
    const clock = fakeClock();
    const copies = new LocalCopies(dir, { maxBytes: 150, holdMs: MIN, clock: clock.now });
    for (const name of ['a', 'b', 'c']) await copies.get(path.join(dir, name), bytes(100));
    expect(copies.bytes).toBe(300);
    for (const name of ['a', 'b', 'c']) expect(existsSync(path.join(dir, name))).toBe(true);

    clock.advance(MIN + 1);
    await copies.get(path.join(dir, 'd'), bytes(100));
    // a, b and c are past their hold, d is not: the oldest go until the budget is met.
    expect(['a', 'b', 'c', 'd'].filter((n) => existsSync(path.join(dir, n)))).toEqual(['d']);
    expect(copies.bytes).toBe(100);
  });

  it('counts the copies an earlier process left, oldest first, and spares one another process used since', async () => {
    const dir = tempDir('copies-');
    const now = Date.now();
    for (const [name, age] of [
      ['old', 10 * MIN],
      ['older', 20 * MIN],
      ['recent', 5 * MIN],
    ] as const) {
      await fs.mkdir(path.join(dir, 'ab'), { recursive: true });
      await fs.writeFile(path.join(dir, 'ab', name), Buffer.alloc(100));
      await setMtime(path.join(dir, 'ab', name), now - age);
    }
    await fs.writeFile(path.join(dir, 'ab', 'x.tmp-1'), 'an interrupted download'); // not a copy
    const copies = new LocalCopies(dir, { maxBytes: 350, holdMs: MIN });
    await copies.get(path.join(dir, 'ab', 'first'), bytes(40));
    expect(copies.bytes).toBe(340);
    // Another process reads "older" now: it touched the file.
    await setMtime(path.join(dir, 'ab', 'older'), Date.now());

    await copies.get(path.join(dir, 'ab', 'second'), bytes(100));
    expect(['older', 'old', 'recent', 'first', 'second'].filter((n) => existsSync(path.join(dir, 'ab', n)))).toEqual(['older', 'recent', 'first', 'second']);
    expect(copies.bytes).toBe(340);
  });

  it('adopts a staged file as a copy and drops a copy whose object changed', async () => {
    const dir = tempDir('copies-');
    const copies = new LocalCopies(dir, { maxBytes: 1000 });
    const staged = path.join(tempDir('staged-'), 'part.parquet');
    await fs.writeFile(staged, 'parquet bytes');
    const file = path.join(dir, 'cd', 'part.parquet');
    await copies.adopt(file, staged);
    expect(existsSync(staged)).toBe(false);
    expect(await copies.get(file, () => Promise.reject(new Error('no fetch for a kept copy')))).toBe(file);
    expect(copies.bytes).toBe(13);
    await copies.drop(file);
    expect(existsSync(file)).toBe(false);
    expect(copies.bytes).toBe(0);
  });

  it('refuses a budget that is not a positive integer', () => {
    expect(() => new LocalCopies(tempDir('copies-'), { maxBytes: 0 })).toThrow('maxBytes must be a positive integer, got 0');
  });
});
