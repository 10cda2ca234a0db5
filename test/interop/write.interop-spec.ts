/**
 * Writing interop: tables written by libs/delta are read by delta-rs (python `deltalake`) and
 * must give the same rows, types, versions, history and time travel as libs/delta itself.
 */
import {
  CellValue,
  DeltaTable,
  decodeLogPath,
  field,
  isObjectStoreUri,
  Row,
  storeForUri,
  struct,
  StructField,
  StructType,
} from '@app/delta';
import {
  BRONZE_TABLE,
  CLIENT_AGGREGATES_TABLE,
  COUNTRY_AGGREGATES_TABLE,
  QUARANTINE_REASONS,
  QUARANTINE_TABLE,
  SEGMENT_AGGREGATES_TABLE,
  SEGMENTS,
  TableDefinition,
} from '@app/schemas';
import { salesRows, salesSchema } from '../../libs/delta/test/fixtures';
import { DeltaRsError, DeltaRsTable, expectedArrowTypes, JsonRow, readTable, sortedRows } from './delta-rs';
import { describeEachBackend, tableRoot } from '../../libs/delta/test/backends';
import { copyRoot, dataFiles, logFiles, removeRoot } from '../../libs/delta/test/helpers';

const dirs: string[] = [];
function newTableDir(name: string): string {
  const dir = tableRoot(`interop-${name}`);
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const d of dirs) await removeRoot(d);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rows, files and commit instants of each version, as libs/delta saw them right after the commit. */
class VersionLog {
  readonly rows = new Map<number, JsonRow[]>();
  readonly files = new Map<number, string[]>();
  /** An instant strictly between version v's commit and the next one. */
  readonly instants = new Map<number, string>();

  async record(table: DeltaTable, opts: { instant?: boolean } = {}): Promise<void> {
    this.rows.set(table.version, sortedRows(await table.readRows()));
    this.files.set(table.version, livePaths(table));
    if (opts.instant) {
      // S3 keeps commit file times to the second, a local disk to the millisecond.
      const gap = isObjectStoreUri(table.uri) ? 1100 : 30;
      await sleep(gap);
      this.instants.set(table.version, new Date().toISOString());
      await sleep(gap);
    }
  }
}

/** Active files' paths relative to the table root, as delta-rs lists them. */
function livePaths(table: DeltaTable): string[] {
  return table.snapshot
    .files()
    .map((f) => decodeLogPath(f.path))
    .sort();
}

function deltaRsPaths(rs: DeltaRsTable): string[] {
  return rs.files!.map((f) => decodeURIComponent(f.path)).sort();
}

function columns(fields: ReadonlyArray<{ name: string; type: unknown; nullable: boolean }>): Array<{ name: string; type: unknown; nullable: boolean }> {
  return fields.map(({ name, type, nullable }) => ({ name, type, nullable }));
}

/** delta-rs sees our schema: Delta types and nullability, and the arrow types it decodes them as. */
function expectSchema(rs: DeltaRsTable, schema: StructType, partitionColumns: readonly string[]): void {
  expect(columns(rs.schema)).toEqual(columns(schema.fields));
  expect(rs.arrowSchema.map(({ name, type }) => ({ name, type }))).toEqual(expectedArrowTypes(schema));
  expect(rs.arrowSchema.map(({ name, nullable }) => ({ name, nullable }))).toEqual(schema.fields.map(({ name, nullable }) => ({ name, nullable })));
  expect(rs.metadata.partitionColumns).toEqual([...partitionColumns]);
}

async function expectHistory(table: DeltaTable, rs: DeltaRsTable): Promise<void> {
  const ours = (await table.history()).map((h) => ({ version: h.version, operation: h.operation, timestamp: h.timestamp }));
  ours.sort((a, b) => a.version - b.version);
  expect(rs.history!.map((h) => ({ version: h.version, operation: h.operation, timestamp: h.timestamp }))).toEqual(ours);
}

/** The latest version through delta-rs equals libs/delta's: version, rows, schema, files, history. */
async function expectDeltaRsSeesLatest(table: DeltaTable): Promise<DeltaRsTable> {
  const rs = readTable(table.uri, { files: true, history: true });
  const ours = await table.readRows();
  expect(rs.version).toBe(table.version);
  expect(rs.numRows).toBe(ours.length);
  expect(sortedRows(rs.rows!)).toEqual(sortedRows(ours));
  expectSchema(rs, table.snapshot.schema, table.snapshot.partitionColumns);
  expect(deltaRsPaths(rs)).toEqual(livePaths(table));
  await expectHistory(table, rs);
  return rs;
}

function dayRows(days: string[], perDay: number, startId: number): Row[] {
  return days.flatMap((day, i) => salesRows(perDay, startId + i * perDay, day));
}

describeEachBackend('libs/delta writes, delta-rs reads', () => {
  describe('a table partitioned by jour over several days', () => {
    let dir: string;
    let table: DeltaTable;
    const log = new VersionLog();

    beforeAll(async () => {
      dir = newTableDir('partitioned');
      table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'], name: 'ventes', description: 'interop' });
      await log.record(table, { instant: true }); // v0: empty
      await table.append({ rows: dayRows(['2024-12-10', '2024-12-11', '2024-12-12'], 20, 1) });
      await log.record(table, { instant: true }); // v1: three partitions in one commit
      await table.append({
        rows: [
          ...salesRows(15, 100, '2024-12-13'),
          // Nulls in every nullable column, one in a partition already there.
          { vente_id: 9000, client_id: null, timestamp: null, montant: null, pays: null, jour: '2024-12-11' },
        ],
      });
      await log.record(table, { instant: true }); // v2
      await table.append({ rows: salesRows(5, 200, '2024-12-10') });
      await log.record(table); // v3
    });

    it('gives the same rows, types, files and history', async () => {
      expect(table.version).toBe(3);
      const rs = await expectDeltaRsSeesLatest(table);
      expect(rs.numRows).toBe(60 + 16 + 5);
      expect(rs.metadata.name).toBe('ventes');
      expect(rs.metadata.description).toBe('interop');
      expect(rs.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
      expect(new Set(rs.files!.map((f) => f.partitionValues.jour))).toEqual(
        new Set(['2024-12-10', '2024-12-11', '2024-12-12', '2024-12-13']),
      );
      for (const f of rs.files!) expect(f.path.startsWith(`jour=${f.partitionValues.jour}/`)).toBe(true);
      expect(rs.history!.map((h) => h.operation)).toEqual(['CREATE TABLE', 'WRITE', 'WRITE', 'WRITE']);
    });

    it('gives delta-rs the per-file stats libs/delta wrote', () => {
      const rs = readTable(dir, { files: true, noRows: true });
      const ours = new Map(table.snapshot.files().map((f) => [decodeLogPath(f.path), JSON.parse(f.stats!)]));
      for (const f of rs.files!) {
        const stats = ours.get(decodeURIComponent(f.path));
        expect(f.numRecords).toBe(stats.numRecords);
        expect(f.nullCount).toEqual(stats.nullCount);
        expect(f.minValues.vente_id).toBe(stats.minValues.vente_id);
        expect(f.maxValues.vente_id).toBe(stats.maxValues.vente_id);
        expect(f.minValues.pays).toBe(stats.minValues.pays ?? null);
        expect(f.maxValues.pays).toBe(stats.maxValues.pays ?? null);
      }
    });

    it('time travels by version to the rows libs/delta had', () => {
      for (const [version, rows] of log.rows) {
        const rs = readTable(dir, { version, files: true });
        expect(rs.version).toBe(version);
        expect(sortedRows(rs.rows!)).toEqual(rows);
        expect(deltaRsPaths(rs)).toEqual(log.files.get(version));
      }
    });

    it('time travels by timestamp like libs/delta', async () => {
      expect(log.instants.size).toBe(3);
      for (const [version, instant] of log.instants) {
        const ours = await DeltaTable.open(dir, { timestamp: instant });
        expect(ours.version).toBe(version);
        const rs = readTable(dir, { timestamp: instant });
        expect(rs.version).toBe(version);
        expect(sortedRows(rs.rows!)).toEqual(log.rows.get(version));
        expect(sortedRows(await ours.readRows())).toEqual(log.rows.get(version));
      }
    });
  });

  describe('partition values that need escaping in folder names and log paths', () => {
    it('reads every partition, null included', async () => {
      const dir = newTableDir('escaping');
      const schema = struct([field('id', 'long', false), field('pays', 'string'), field('montant', 'double')]);
      const table = await DeltaTable.create(dir, { schema, partitionColumns: ['pays'] });
      const values = ["Côte d'Ivoire", 'a/b', 'x=y', '100%', 'São Tomé & Príncipe', 'with space', null, 'a:b#c?d', '[x]{y}^', '%2F'];
      await table.append({ rows: values.map((pays, i) => ({ id: i, pays, montant: i * 1.5 })) });
      const rs = await expectDeltaRsSeesLatest(table);
      expect(rs.rows!.map((r) => r.pays).sort()).toEqual([...values].sort());
      const written = await dataFiles(dir);
      for (const f of rs.files!) expect(written).toContain(decodeURIComponent(f.path));
    });
  });

  describe('past a checkpoint', () => {
    let dir: string;
    let table: DeltaTable;
    const log = new VersionLog();

    beforeAll(async () => {
      dir = newTableDir('checkpoint');
      table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
      const days = ['2024-12-10', '2024-12-11', '2024-12-12'];
      for (let v = 1; v <= 13; v++) {
        if (v === 5) {
          // Tombstones before the checkpoint: one partition replaced.
          await table.overwrite({ rows: salesRows(4, 500, '2024-12-11') }, { partitions: 'dynamic' });
        } else {
          await table.append({ rows: salesRows(3, v * 10, days[v % days.length]) }, { txns: [{ appId: 'interop', version: v }] });
        }
        if (v >= 9) await log.record(table);
      }
    });

    it('has a checkpoint at version 10 and commits after it', async () => {
      expect(table.version).toBe(13);
      expect(await logFiles(dir)).toContain('00000000000000000010.checkpoint.parquet');
      expect(JSON.parse((await storeForUri(dir).get('_delta_log/_last_checkpoint')).toString('utf8')).version).toBe(10);
    });

    it('gives the same rows, types, files and history at the latest version', async () => {
      await expectDeltaRsSeesLatest(table);
      const reopened = await DeltaTable.open(dir);
      expect(reopened.version).toBe(13);
      expect(sortedRows(await reopened.readRows())).toEqual(log.rows.get(13));
    });

    it('time travels to the checkpoint version and around it', () => {
      for (const version of [9, 10, 11]) {
        const rs = readTable(dir, { version, files: true });
        expect(rs.version).toBe(version);
        expect(sortedRows(rs.rows!)).toEqual(log.rows.get(version));
        expect(deltaRsPaths(rs)).toEqual(log.files.get(version));
      }
    });

    it('reads from the checkpoint alone when the commits before it are gone', async () => {
      const copy = newTableDir('checkpoint-only');
      await copyRoot(dir, copy);
      for (let v = 0; v < 10; v++) await storeForUri(copy).delete(`_delta_log/${String(v).padStart(20, '0')}.json`);
      for (const version of [10, 13]) {
        const rs = readTable(copy, { version, files: true });
        expect(rs.version).toBe(version);
        expect(sortedRows(rs.rows!)).toEqual(log.rows.get(version));
        expect(deltaRsPaths(rs)).toEqual(log.files.get(version));
        expectSchema(rs, salesSchema, ['jour']);
        const ours = await DeltaTable.open(copy, { version });
        expect(sortedRows(await ours.readRows())).toEqual(log.rows.get(version));
        expect(ours.txnVersion('interop')).toBe(version);
      }
    });
  });

  describe("after an overwrite with partitions 'dynamic'", () => {
    let dir: string;
    let table: DeltaTable;
    const log = new VersionLog();
    let expected: Row[];

    beforeAll(async () => {
      dir = newTableDir('overwrite');
      table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
      const day10 = salesRows(10, 1, '2024-12-10');
      const day12 = salesRows(10, 21, '2024-12-12');
      await table.append({ rows: [...day10, ...salesRows(10, 11, '2024-12-11'), ...day12] });
      await table.append({ rows: salesRows(5, 31, '2024-12-11') });
      await log.record(table); // v2
      const replacement = [...salesRows(3, 100, '2024-12-11'), ...salesRows(4, 200, '2024-12-13')];
      const summary = await table.overwrite({ rows: replacement }, { partitions: 'dynamic' });
      expect(summary).toEqual({ version: 3, addedFiles: 2, removedFiles: 2 });
      await log.record(table); // v3
      expected = [...day10, ...day12, ...replacement];
    });

    it('replaces only the partitions the new data falls in', async () => {
      const rs = await expectDeltaRsSeesLatest(table);
      expect(sortedRows(rs.rows!)).toEqual(sortedRows(expected));
      const byDay = new Map<string, number>();
      for (const f of rs.files!) byDay.set(String(f.partitionValues.jour), (byDay.get(String(f.partitionValues.jour)) ?? 0) + 1);
      expect(Object.fromEntries(byDay)).toEqual({ '2024-12-10': 1, '2024-12-11': 1, '2024-12-12': 1, '2024-12-13': 1 });
      const last = rs.history![rs.history!.length - 1];
      expect(last.operation).toBe('WRITE');
      expect(last.operationParameters).toMatchObject({ mode: 'Overwrite' });
    });

    it('still time travels to the version before the overwrite', () => {
      const rs = readTable(dir, { version: 2, files: true });
      expect(sortedRows(rs.rows!)).toEqual(log.rows.get(2));
      expect(deltaRsPaths(rs)).toEqual(log.files.get(2));
      expect(rs.numRows).toBe(35);
    });
  });

  /** Four appends over two days: eight small files. */
  async function smallFilesTable(name: string): Promise<{ dir: string; table: DeltaTable }> {
    const dir = newTableDir(name);
    const table = await DeltaTable.create(dir, { schema: salesSchema, partitionColumns: ['jour'] });
    for (let i = 0; i < 4; i++) await table.append({ rows: dayRows(['2024-12-10', '2024-12-11'], 6, 1 + i * 12) });
    return { dir, table };
  }

  describe('after optimize', () => {
    it('delta-rs lists fewer files with the same rows', async () => {
      const { dir, table } = await smallFilesTable('optimize');
      const before = sortedRows(await table.readRows());
      const beforeFiles = readTable(dir, { files: true, noRows: true }).files!;
      expect(beforeFiles).toHaveLength(8);
      const result = await table.optimize();
      expect(result).toMatchObject({ version: 5, numFilesRemoved: 8, numFilesAdded: 2 });
      const rs = await expectDeltaRsSeesLatest(table);
      expect(rs.files!.length).toBe(2);
      expect(rs.files!.length).toBeLessThan(beforeFiles.length);
      expect(sortedRows(rs.rows!)).toEqual(before);
      expect(rs.files!.map((f) => f.numRecords).sort()).toEqual([24, 24]);
      expect(rs.history!.map((h) => h.operation)).toEqual(['CREATE TABLE', 'WRITE', 'WRITE', 'WRITE', 'WRITE', 'OPTIMIZE']);
      // The compacted-away files are still there for time travel.
      const v4 = readTable(dir, { version: 4, files: true });
      expect(v4.files).toHaveLength(8);
      expect(sortedRows(v4.rows!)).toEqual(before);
    });
  });

  describe('after vacuum', () => {
    it('deletes the files optimize removed and delta-rs still reads the latest version', async () => {
      const { dir, table } = await smallFilesTable('vacuum');
      const before = sortedRows(await table.readRows());
      const compacted = livePaths(table);
      await table.optimize();
      const kept = livePaths(table);
      await sleep(5); // the tombstones must be strictly older than a zero-hour retention
      const result = await table.vacuum({ retentionHours: 0, enforceRetentionDuration: false });
      expect([...result.filesDeleted].sort()).toEqual(compacted);
      const left = await dataFiles(dir);
      for (const p of compacted) expect(left).not.toContain(p);
      for (const p of kept) expect(left).toContain(p);
      expect(table.version).toBe(7);
      const rs = await expectDeltaRsSeesLatest(table);
      expect(sortedRows(rs.rows!)).toEqual(before);
      expect(deltaRsPaths(rs)).toEqual(kept);
      expect(rs.history!.slice(-3).map((h) => h.operation)).toEqual(['OPTIMIZE', 'VACUUM START', 'VACUUM END']);
      // Versions before the optimize need the deleted files.
      expect(() => readTable(dir, { version: 4 })).toThrow(DeltaRsError);
    });
  });

  describe('the platform tables from @app/schemas', () => {
    const tables: Array<[string, TableDefinition]> = [
      ['bronze', BRONZE_TABLE],
      ['quarantine', QUARANTINE_TABLE],
      ['silver client aggregates', CLIENT_AGGREGATES_TABLE],
      ['silver country aggregates', COUNTRY_AGGREGATES_TABLE],
      ['silver segment aggregates', SEGMENT_AGGREGATES_TABLE],
    ];

    it.each(tables)('%s: delta-rs sees the contract schema and the rows', async (_label, def) => {
      const dir = newTableDir(def.name);
      const table = await DeltaTable.create(dir, {
        schema: def.schema,
        partitionColumns: def.partitionColumns,
        name: def.name,
        description: def.description,
      });
      const rows = sampleRows(def.schema, 6);
      await table.append({ rows: rows.slice(0, 4) });
      await table.append({ rows: rows.slice(4) });
      const rs = await expectDeltaRsSeesLatest(table);
      expect(columns(rs.schema)).toEqual(columns(def.schema.fields));
      expectSchema(rs, def.schema, def.partitionColumns);
      expect(rs.metadata).toMatchObject({ name: def.name, description: def.description, partitionColumns: def.partitionColumns });
      expect(rs.version).toBe(2);
      expect(sortedRows(rs.rows!)).toEqual(sortedRows(rows));
    });
  });

  describe('long values beyond 2^53', () => {
    it('round-trip exactly and keep file stats that bound them', async () => {
      const dir = newTableDir('bigint');
      const schema = struct([field('id', 'integer', false), field('big', 'long'), field('jour', 'date')]);
      const table = await DeltaTable.create(dir, { schema });
      await table.append({ rows: [1, 2, 3].map((id) => ({ id, big: BigInt(id * 1000), jour: '2024-12-12' })) });
      const extremes: Array<bigint | null> = [9007199254740993n, -9007199254740993n, 9223372036854775807n, -9223372036854775808n, null];
      await table.append({ rows: extremes.map((big, i) => ({ id: 10 + i, big, jour: '2024-12-12' })) });

      const ours = await table.readRows();
      expect(ours.find((r) => r.id === 10)!.big).toBe(9007199254740993n);
      const rs = await expectDeltaRsSeesLatest(table);
      expect(rs.rows!.find((r) => r.id === 10)!.big).toBe('9007199254740993');
      expect(rs.rows!.filter((r) => (r.id as number) >= 10).map((r) => r.big)).toEqual(
        expect.arrayContaining(['9007199254740993', '-9007199254740993', '9223372036854775807', '-9223372036854775808', null]),
      );

      // Stats delta-rs parses must bound the data: a skipping reader would otherwise drop the file.
      const files = rs.files!;
      expect(files).toHaveLength(2);
      const small = files.find((f) => f.numRecords === 3)!;
      expect(small.minValues).toEqual({ id: 1, big: 1000, jour: '2024-12-12' });
      expect(small.maxValues).toEqual({ id: 3, big: 3000, jour: '2024-12-12' });
      const big = files.find((f) => f.numRecords === 5)!;
      expect(big.minValues.id).toBe(10);
      expect(big.maxValues.id).toBe(14);
      expect(big.nullCount).toEqual({ id: 0, big: 1, jour: 0 });
      if (big.minValues.big !== null) expect(BigInt(big.minValues.big as string | number)).toBeLessThanOrEqual(-9223372036854775808n);
      if (big.maxValues.big !== null) expect(BigInt(big.maxValues.big as string | number)).toBeGreaterThanOrEqual(9223372036854775807n);
    });
  });
});

/** A few deterministic rows for any contract schema; nullable columns get a null in row 1. */
function sampleRows(schema: StructType, n: number): Row[] {
  const days = ['2024-12-10', '2024-12-11', '2024-12-12'];
  const pad = (x: number, w = 2) => String(x).padStart(w, '0');
  const value = (f: StructField, i: number): CellValue => {
    if (f.nullable && i === 1) return null;
    const day = days[i % days.length];
    switch (f.name) {
      case 'segment':
        return SEGMENTS[i % SEGMENTS.length];
      case 'reason':
        return QUARANTINE_REASONS[i % QUARANTINE_REASONS.length];
      case 'pays':
        return ['France', 'Belgique', 'Suisse', 'Côte d’Ivoire'][i % 4];
    }
    switch (f.type) {
      case 'long':
        return BigInt(1000 + i * 7);
      case 'integer':
        return i * 3 + 1;
      case 'double':
        return Math.round((i + 1) * 1234.5678) / 100;
      case 'string':
        return `${f.name} ${['é', 'ü', 'ç', 'x"y'][i % 4]} ${i}`;
      case 'boolean':
        return i % 2 === 0;
      case 'date':
        return day;
      case 'timestamp':
        return `${day}T${pad(8 + i)}:${pad((i * 7) % 60)}:${pad(i)}.${pad(123456 + i, 6)}Z`;
      default:
        throw new Error(`no sample value for ${f.type}`);
    }
  };
  return Array.from({ length: n }, (_, i) => Object.fromEntries(schema.fields.map((f) => [f.name, value(f, i)])));
}
