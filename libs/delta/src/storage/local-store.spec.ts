import { promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import { AlreadyExistsError, LocalObjectStore, NotFoundError } from '@app/delta';
import { tempDir } from '../../test/fixtures';
import { setMtime } from '../../test/helpers';

async function storeWith(files: Record<string, string>): Promise<{ dir: string; store: LocalObjectStore }> {
  const dir = tempDir();
  const store = new LocalObjectStore(dir);
  for (const [p, content] of Object.entries(files)) await store.put(p, content);
  return { dir, store };
}

describe('LocalObjectStore', () => {
  it('resolves its root to an absolute path', () => {
    expect(new LocalObjectStore('relative/dir').root).toBe(path.resolve('relative/dir'));
  });

  it('put creates folders, writes and replaces; get reads back; get of a missing file is NotFoundError', async () => {
    const { dir, store } = await storeWith({ 'a/b/c.txt': 'one' });
    expect((await store.get('a/b/c.txt')).toString()).toBe('one');
    await store.put('a/b/c.txt', Buffer.from('two'));
    expect((await store.get('a/b/c.txt')).toString()).toBe('two');
    expect(await fs.readdir(path.join(dir, 'a/b'))).toEqual(['c.txt']); // no temp files left
    const err = await store.get('a/missing.txt').catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('not found: a/missing.txt');
  });

  it('putIfAbsent creates a new file and refuses an existing one', async () => {
    const { store } = await storeWith({ 'x.json': 'old' });
    await store.putIfAbsent('log/1.json', 'new');
    expect((await store.get('log/1.json')).toString()).toBe('new');
    await expect(store.putIfAbsent('x.json', 'other')).rejects.toBeInstanceOf(AlreadyExistsError);
    expect((await store.get('x.json')).toString()).toBe('old');
  });

  it('head gives size and modification time (ms), or NotFoundError', async () => {
    const { dir, store } = await storeWith({ 'f.bin': '12345' });
    await setMtime(path.join(dir, 'f.bin'), Date.parse('2024-06-01T12:00:00Z'));
    expect(await store.head('f.bin')).toEqual({ path: 'f.bin', size: 5, modificationTime: Date.parse('2024-06-01T12:00:00Z') });
    await expect(store.head('nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('list returns the files directly under a folder, sorted, without subfolders; a missing folder lists empty', async () => {
    const { dir, store } = await storeWith({
      'log/b.json': 'bb',
      'log/a.json': 'a',
      'log/c.json': 'ccc',
      'log/sub/d.json': 'd',
      'top.txt': 't',
    });
    const listed = await store.list('log');
    expect(listed.map((f) => f.path)).toEqual(['log/a.json', 'log/b.json', 'log/c.json']);
    expect(listed.map((f) => f.size)).toEqual([1, 2, 3]);
    expect(listed[0].modificationTime).toBe(Math.floor(statSync(path.join(dir, 'log/a.json')).mtimeMs));
    expect((await store.list('')).map((f) => f.path)).toEqual(['top.txt']);
    expect(await store.list('missing')).toEqual([]);
  });

  it('list with startAfter returns names that sort at or after it (lexicographic, as log versions are zero-padded)', async () => {
    const names = ['00000000000000000009.json', '00000000000000000010.checkpoint.parquet', '00000000000000000010.json', '00000000000000000011.json', '_last_checkpoint'];
    const { store } = await storeWith(Object.fromEntries(names.map((n) => [`_delta_log/${n}`, n])));
    const from = async (s: string) => (await store.list('_delta_log', s)).map((f) => f.path.slice('_delta_log/'.length));
    expect(await from('00000000000000000010')).toEqual(names.slice(1));
    expect(await from('00000000000000000010.json')).toEqual(names.slice(2));
    expect(await from('00000000000000000012')).toEqual(['_last_checkpoint']);
    expect(await from('')).toEqual(names);
  });

  it('listRecursive walks every folder and returns paths relative to the root, sorted', async () => {
    const { store } = await storeWith({
      'jour=2024-12-13/p2.parquet': 'x',
      'jour=2024-12-12/p1.parquet': 'x',
      '_delta_log/00000000000000000000.json': 'x',
      'root.parquet': 'x',
      'a/b/c/deep.txt': 'x',
    });
    expect((await store.listRecursive('')).map((f) => f.path)).toEqual([
      '_delta_log/00000000000000000000.json',
      'a/b/c/deep.txt',
      'jour=2024-12-12/p1.parquet',
      'jour=2024-12-13/p2.parquet',
      'root.parquet',
    ]);
    expect((await store.listRecursive('a')).map((f) => f.path)).toEqual(['a/b/c/deep.txt']);
    expect(await store.listRecursive('missing')).toEqual([]);
  });

  it('delete removes a file and ignores a missing one', async () => {
    const { store } = await storeWith({ 'x/y.txt': 'y' });
    await store.delete('x/y.txt');
    await expect(store.get('x/y.txt')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.delete('x/y.txt')).resolves.toBeUndefined();
  });

  it('stagingPath creates the folder and gives the real path; readablePath maps a key to the file', async () => {
    const { dir, store } = await storeWith({});
    const staged = await store.stagingPath('p=1/file.parquet');
    expect(staged).toBe(path.join(dir, 'p=1', 'file.parquet'));
    expect(statSync(path.join(dir, 'p=1')).isDirectory()).toBe(true);
    expect(await store.readablePath('p=1/file.parquet')).toBe(staged);
  });
});
