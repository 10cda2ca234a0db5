/**
 * Reading interop: a table written by delta-rs (dictionary-encoded files, a delete, an
 * optimize, a delta-rs checkpoint at v4 and a commit after it) is read, time travelled,
 * filtered and appended to by libs/delta; delta-rs then reads the combined table.
 */
import { DeltaTable, decodeLogPath, Filter, Row } from '@app/delta';
import { DeltaRsWriteResult, expectedArrowTypes, JsonRow, readTable, sortedRows, writeTable } from './delta-rs';
import { describeEachBackend, tableRoot } from '../../libs/delta/test/backends';
import { logFiles, removeRoot } from '../../libs/delta/test/helpers';

/** The schema write_table.py gives the sales table (only vente_id is required). */
const EXPECTED_COLUMNS = [
  { name: 'vente_id', type: 'long', nullable: false },
  { name: 'client_id', type: 'integer', nullable: true },
  { name: 'produit_id', type: 'integer', nullable: true },
  { name: 'timestamp', type: 'timestamp', nullable: true },
  { name: 'quantite', type: 'integer', nullable: true },
  { name: 'montant', type: 'double', nullable: true },
  { name: 'client_nom', type: 'string', nullable: true },
  { name: 'produit_nom', type: 'string', nullable: true },
  { name: 'categorie', type: 'string', nullable: true },
  { name: 'pays', type: 'string', nullable: true },
  { name: 'segment', type: 'string', nullable: true },
  { name: 'jour', type: 'date', nullable: true },
];

describeEachBackend('delta-rs writes, libs/delta reads', () => {
  let dir: string;
  let written: DeltaRsWriteResult;

  beforeAll(() => {
    dir = tableRoot('interop-read');
    written = writeTable(dir, 'dictionary_checkpoint', { force: true });
  });

  afterAll(async () => {
    if (dir) await removeRoot(dir);
  });

  it('delta-rs wrote the scenario the tests rely on', async () => {
    expect(written.version).toBe(5);
    expect(written.checkpointVersion).toBe(4);
    expect(written.dictionaryEncoded).toBe(true);
    expect(written.dictionaryEncodedColumns).toEqual(expect.arrayContaining(['pays', 'client_nom', 'vente_id']));
    expect(await logFiles(dir)).toContain('00000000000000000004.checkpoint.parquet');
    expect(written.rows).toHaveLength(written.numRows);
    // 4 x 200 rows minus the Belgian sales of 2024-12-11 deleted at v3.
    expect(written.numRows).toBeLessThan(800);
    expect(written.numRows).toBeGreaterThan(600);
  });

  it('reads the latest version (checkpoint + one commit) with the rows delta-rs printed', async () => {
    const table = await DeltaTable.open(dir);
    expect(table.snapshot.version).toBe(5);
    const rows = await table.readRows();
    expect(rows).toHaveLength(written.numRows);
    expect(sortedRows(rows)).toEqual(sortedRows(written.rows!));
  });

  it('sees the partition columns, the schema and the active files delta-rs sees', async () => {
    const table = await DeltaTable.open(dir);
    expect(table.snapshot.partitionColumns).toEqual(['jour']);
    expect(table.snapshot.schema.fields.map(({ name, type, nullable }) => ({ name, type, nullable }))).toEqual(EXPECTED_COLUMNS);
    const rs = readTable(dir, { files: true, noRows: true });
    expect(rs.schema.map(({ name, type, nullable }) => ({ name, type, nullable }))).toEqual(EXPECTED_COLUMNS);
    expect(rs.arrowSchema.map(({ name, type }) => ({ name, type }))).toEqual(expectedArrowTypes(table.snapshot.schema));
    const ours = table.snapshot.files();
    expect(ours.map((f) => decodeLogPath(f.path)).sort()).toEqual(rs.files!.map((f) => decodeURIComponent(f.path)).sort());
    for (const f of ours) {
      const theirs = rs.files!.find((x) => decodeURIComponent(x.path) === decodeLogPath(f.path))!;
      expect(f.partitionValues).toEqual({ jour: theirs.partitionValues.jour });
      expect(JSON.parse(f.stats!).numRecords).toBe(theirs.numRecords);
      expect(f.size).toBe(theirs.size);
    }
  });

  it('time travels to version 2 (before the delete, optimize and checkpoint) like delta-rs', async () => {
    const table = await DeltaTable.open(dir, { version: 2 });
    expect(table.snapshot.version).toBe(2);
    const rs = readTable(dir, { version: 2 });
    expect(rs.version).toBe(2);
    expect(rs.numRows).toBe(600);
    const rows = await table.readRows();
    expect(rows).toHaveLength(600);
    expect(sortedRows(rows)).toEqual(sortedRows(rs.rows!));
  });

  it('time travels to version 4 (the delta-rs checkpoint alone) like delta-rs', async () => {
    const table = await DeltaTable.open(dir, { version: 4 });
    expect(table.snapshot.version).toBe(4);
    const rs = readTable(dir, { version: 4, files: true });
    expect(sortedRows(await table.readRows())).toEqual(sortedRows(rs.rows!));
    // optimize.compact() left one file per partition.
    expect(table.snapshot.files()).toHaveLength(rs.files!.length);
    expect(new Set(table.snapshot.files().map((f) => f.partitionValues.jour)).size).toBe(table.snapshot.files().length);
  });

  it('filters with delta-rs partition values and stats without losing rows', async () => {
    const table = await DeltaTable.open(dir);
    const all = written.rows!;
    const maxTs = all.map((r) => r.timestamp as string).sort().pop()!;
    const cases: Array<[Filter[], (r: JsonRow) => boolean]> = [
      [[{ column: 'jour', op: '=', value: '2024-12-11' }], (r) => r.jour === '2024-12-11'],
      [[{ column: 'pays', op: '=', value: 'Belgique' }], (r) => r.pays === 'Belgique'],
      [[{ column: 'vente_id', op: '>=', value: 1000700 }], (r) => (r.vente_id as number) >= 1000700],
      // delta-rs truncates timestamp stats to milliseconds: the max must still be honoured.
      [[{ column: 'timestamp', op: '>=', value: maxTs }], (r) => r.timestamp === maxTs],
      [
        [
          { column: 'jour', op: 'in', value: ['2024-12-12', '2024-12-13'] },
          { column: 'segment', op: '=', value: 'Entreprise' },
        ],
        (r) => (r.jour === '2024-12-12' || r.jour === '2024-12-13') && r.segment === 'Entreprise',
      ],
    ];
    for (const [filters, keep] of cases) {
      const expected = all.filter(keep);
      expect(expected.length).toBeGreaterThan(0);
      expect(sortedRows(await table.readRows(filters))).toEqual(sortedRows(expected));
    }
  });

  it('appends to the delta-rs table; delta-rs reads the combined rows', async () => {
    const table = await DeltaTable.open(dir);
    const added: Row[] = Array.from({ length: 12 }, (_, i) => ({
      vente_id: 2_000_000 + i,
      client_id: 100 + (i % 7),
      produit_id: i % 4 === 0 ? null : 500 + (i % 8),
      timestamp: `2024-12-1${3 + (i % 2)}T0${i % 10}:15:30.${String(1_000_123 + i * 3).slice(1)}Z`,
      quantite: 1 + (i % 5),
      montant: Math.round((i + 1) * 1999) / 100,
      client_nom: ['Zoé Martin', 'Hugo Petit', 'Léa Moreau'][i % 3],
      produit_nom: 'Écran 27 pouces',
      categorie: 'Informatique',
      pays: ['France', 'Suisse'][i % 2],
      segment: i % 5 === 0 ? null : 'Particulier',
      jour: `2024-12-1${3 + (i % 2)}`, // one partition delta-rs has, one new
    }));
    const summary = await table.append({ rows: added });
    expect(summary).toEqual({ version: 6, addedFiles: 2, removedFiles: 0 });

    const expected = sortedRows([...written.rows!, ...added]);
    const rs = readTable(dir, { history: true, files: true });
    expect(rs.version).toBe(6);
    expect(rs.numRows).toBe(written.numRows + added.length);
    expect(sortedRows(rs.rows!)).toEqual(expected);
    expect(rs.history!.map((h) => h.operation)).toEqual(['WRITE', 'WRITE', 'WRITE', 'DELETE', 'OPTIMIZE', 'WRITE', 'WRITE']);
    expect(rs.history![6].engineInfo).toMatch(/^lakehouse-delta-ts/);
    expect(rs.files!.filter((f) => f.partitionValues.jour === '2024-12-14')).toHaveLength(1);

    const reopened = await DeltaTable.open(dir);
    expect(reopened.version).toBe(6);
    expect(sortedRows(await reopened.readRows())).toEqual(expected);
    // delta-rs still gives the older versions.
    expect(sortedRows(readTable(dir, { version: 5 }).rows!)).toEqual(sortedRows(written.rows!));
  });

  it('writes its own checkpoint over the delta-rs log; delta-rs reads from it', async () => {
    const table = await DeltaTable.open(dir);
    expect(table.version).toBe(6);
    for (let v = 7; v <= 10; v++) {
      await table.append({ rows: [{ vente_id: 3_000_000 + v, pays: 'Canada', timestamp: `2024-12-15T0${v - 7}:00:00.000007Z`, jour: '2024-12-15' }] });
    }
    expect(table.version).toBe(10);
    expect(await logFiles(dir)).toContain('00000000000000000010.checkpoint.parquet');
    const ours = sortedRows(await table.readRows());
    expect(ours).toHaveLength(written.numRows + 12 + 4);
    const rs = readTable(dir, { files: true });
    expect(rs.version).toBe(10);
    expect(sortedRows(rs.rows!)).toEqual(ours);
    expect(rs.files!.map((f) => decodeURIComponent(f.path)).sort()).toEqual(table.snapshot.files().map((f) => decodeLogPath(f.path)).sort());
    const reopened = await DeltaTable.open(dir);
    expect(sortedRows(await reopened.readRows())).toEqual(ours);
  });
});
