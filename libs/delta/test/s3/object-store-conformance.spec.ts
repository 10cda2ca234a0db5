import { AlreadyExistsError, LocalObjectStore, NotFoundError, ObjectStore, S3ObjectStore, s3ClientFromEnv, storeForUri } from '@app/delta';
import { promises as fs } from 'node:fs';
import { describeEachBackend, describeS3, tableRoot } from '../backends';

/** The ObjectStore contract the log code relies on, held to the local disk and to the S3 server alike. */
const make = (name: string): ObjectStore => storeForUri(tableRoot(name));

describeEachBackend('ObjectStore contract', (backend) => {
  it('is the store of the backend', () => {
    expect(make('kind')).toBeInstanceOf(backend.name === 's3' ? S3ObjectStore : LocalObjectStore);
  });

  it('get / put / head / delete, and NotFoundError for a missing file', async () => {
    const store = make('basics');
    await expect(store.get('a/missing.json')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.head('a/missing.json')).rejects.toBeInstanceOf(NotFoundError);
    await store.put('a/x.json', 'one');
    await store.put('a/x.json', 'two');
    expect((await store.get('a/x.json')).toString()).toBe('two');
    const meta = await store.head('a/x.json');
    expect(meta).toMatchObject({ path: 'a/x.json', size: 3 });
    expect(Math.abs(meta.modificationTime - Date.now())).toBeLessThan(120_000);
    await store.delete('a/x.json');
    await store.delete('a/x.json'); // deleting a missing file is not an error
    await expect(store.get('a/x.json')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('putIfAbsent refuses an existing path with AlreadyExistsError and keeps the first content', async () => {
    const store = make('put-if-absent');
    await store.putIfAbsent('_delta_log/00000000000000000000.json', 'first');
    await expect(store.putIfAbsent('_delta_log/00000000000000000000.json', 'second')).rejects.toBeInstanceOf(AlreadyExistsError);
    expect((await store.get('_delta_log/00000000000000000000.json')).toString()).toBe('first');
  });

  it('list: one level, sorted, from startAfter inclusive; listRecursive: everything below', async () => {
    const store = make('listing');
    const names = [
      '00000000000000000009.json',
      '00000000000000000010.checkpoint.parquet',
      '00000000000000000010.json',
      '00000000000000000011.json',
    ];
    for (const n of [...names].reverse()) await store.put(`_delta_log/${n}`, n);
    await store.put('_delta_log/sub/deeper.json', 'x');
    await store.put('jour=2024-12-12/part-0.parquet', 'p');
    expect((await store.list('_delta_log')).map((f) => f.path)).toEqual(names.map((n) => `_delta_log/${n}`));
    expect((await store.list('_delta_log', '00000000000000000010.checkpoint.parquet')).map((f) => f.path)).toEqual(
      names.slice(1).map((n) => `_delta_log/${n}`),
    );
    expect((await store.list('_delta_log', '00000000000000000010.json')).map((f) => f.path)).toEqual(
      names.slice(2).map((n) => `_delta_log/${n}`),
    );
    expect(await store.list('nothing-here')).toEqual([]);
    expect((await store.listRecursive('')).map((f) => f.path)).toEqual([
      ...names.map((n) => `_delta_log/${n}`),
      '_delta_log/sub/deeper.json',
      'jour=2024-12-12/part-0.parquet',
    ]);
    expect((await store.listRecursive('_delta_log')).find((f) => f.path === '_delta_log/00000000000000000009.json')?.size).toBe(25);
  });

  it('lists past one page (1000 keys on S3)', async () => {
    const store = make('paging');
    const n = 1100;
    for (let i = 0; i < n; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => store.put(`_delta_log/${String(i + k).padStart(20, '0')}.json`, '{}')));
    }
    const listed = await store.list('_delta_log', `${String(1050).padStart(20, '0')}.json`);
    expect(listed).toHaveLength(50);
    expect((await store.listRecursive('')).length).toBe(n);
  });

  it('a staged file is visible once published, and readable at a local path', async () => {
    const store = make('staging');
    const staged = await store.stagingPath('jour=2024-12-12/part-1.parquet');
    await fs.writeFile(staged, 'parquet bytes');
    await store.publish('jour=2024-12-12/part-1.parquet', staged);
    expect((await store.get('jour=2024-12-12/part-1.parquet')).toString()).toBe('parquet bytes');
    expect(await fs.readFile(await store.readablePath('jour=2024-12-12/part-1.parquet'), 'utf8')).toBe('parquet bytes');
  });
});

describeS3('S3ObjectStore put-if-absent under concurrency (SeaweedFS)', () => {
  // SeaweedFS sometimes holds a racing request for seconds (server side, no retry involved): hence the timeout.
  it('24 clients race for each of 12 keys: exactly one wins each, and its content stays', async () => {
    const root = tableRoot('race');
    const clients = Array.from({ length: 24 }, () => new S3ObjectStore(root, { client: s3ClientFromEnv() }));
    const keys = Array.from({ length: 12 }, (_, i) => `_delta_log/${String(i).padStart(20, '0')}.json`);
    // The keys' races run at the same time: each waits mostly on SeaweedFS holding the racing requests.
    await Promise.all(
      keys.map(async (key) => {
        const results = await Promise.allSettled(clients.map((c, writer) => c.putIfAbsent(key, `writer-${writer}`)));
        const winners = results.flatMap((r, writer) => (r.status === 'fulfilled' ? [writer] : []));
        const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(winners).toHaveLength(1);
        for (const l of losers) expect(l.reason).toBeInstanceOf(AlreadyExistsError);
        expect((await clients[0].get(key)).toString()).toBe(`writer-${winners[0]}`);
      }),
    );
    for (const c of clients) c.client.destroy();
  }, 300_000);
});
