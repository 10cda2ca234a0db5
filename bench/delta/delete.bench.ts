/**
 * DELETE of 1% of the rows of a 10,000,000-row BRONZE_TABLE Delta table (partitioned by jour,
 * built with appends of 500,000 rows): time and bytes rewritten by copy-on-write, for two
 * placements of the deleted rows:
 *   - clustered: a contiguous 1% range of vente_id (ids grow with time, as the producer's do):
 *     file statistics rule out every file but the one or two holding the range;
 *   - scattered: the rows of 1% of the clients (client_id IN 100 of 10,000), present in every
 *     file: every file is rewritten, the worst case of copy-on-write.
 * Each delete runs on a fresh copy of the built table, in the same process.
 *
 *   npm run bench:delete
 *   env: DELETE_ROWS (default 10000000), BENCH_TMP, BENCH_KEEP=1.
 */
import { cpSync } from 'node:fs';
import { DeltaTable, deleteRows, RowPredicate } from '@app/delta';
import { appendSales, createBronzeTable, fmtInt, loadWarning, mib, now, printTable, removeDir, round, RssSampler, tempDir, writeResult } from './common';

const BATCH = 500_000;

async function build(rows: number): Promise<{ dir: string; seconds: number; files: number; bytes: number }> {
  const t0 = now();
  const dir = tempDir('bench-delete-');
  const table = await createBronzeTable(dir);
  await appendSales(table, rows, BATCH, 'columns');
  const files = table.snapshot.files();
  return { dir, seconds: round((now() - t0) / 1000), files: files.length, bytes: files.reduce((n, f) => n + f.size, 0) };
}

async function measure(source: string, name: string, predicate: RowPredicate): Promise<Record<string, unknown>> {
  const dir = tempDir('bench-delete-run-');
  cpSync(source, dir, { recursive: true });
  const table = await DeltaTable.open(dir);
  const before = table.snapshot.numRecords();
  const rss = new RssSampler();
  const t0 = now();
  const res = await deleteRows(table.log, table.snapshot, predicate);
  const ms = now() - t0;
  rss.stop();
  const after = (await DeltaTable.open(dir)).snapshot.numRecords();
  if (before - after !== res.numMatchedRows) throw new Error(`${name}: ${before - after} rows gone, ${res.numMatchedRows} reported`);
  if (!process.env.BENCH_KEEP) removeDir(dir);
  return {
    name,
    deletedRows: res.numMatchedRows,
    deletedShare: round((100 * res.numMatchedRows) / before, 2),
    ms: round(ms),
    candidateFiles: res.metrics.numCandidateFiles,
    removedFiles: res.metrics.numRemovedFiles,
    addedFiles: res.metrics.numAddedFiles,
    removedMiB: mib(res.metrics.numRemovedBytes),
    addedMiB: mib(res.metrics.numAddedBytes),
    copiedRows: res.metrics.numCopiedRows,
    scanMs: res.metrics.scanTimeMs,
    rewriteMs: res.metrics.rewriteTimeMs,
    peakRssMiB: mib(rss.peak),
  };
}

async function main(): Promise<void> {
  const rows = Number(process.env.DELETE_ROWS ?? 10_000_000);
  const warning = loadWarning();
  if (warning) console.log(warning);
  console.log(`building a ${fmtInt(rows)}-row table...`);
  const built = await build(rows);
  console.log(`built in ${built.seconds} s: ${built.files} files, ${mib(built.bytes)} MiB`);
  const share = Math.round(rows / 100);
  const first = Math.round(rows / 2);
  const results = [
    await measure(built.dir, 'clustered: vente_id in a 1% range', [
      { column: 'vente_id', op: '>', value: first },
      { column: 'vente_id', op: '<=', value: first + share },
    ]),
    await measure(built.dir, 'scattered: 1% of the clients', [{ column: 'client_id', op: 'in', value: Array.from({ length: 100 }, (_, i) => 1 + i * 100) }]),
  ];
  printTable(
    ['scenario', 'rows deleted', '%', 'ms', 'files read', 'files rewritten', 'MiB removed', 'MiB added', 'peak RSS MiB'],
    results.map((r) => [r.name, fmtInt(r.deletedRows as number), r.deletedShare, r.ms, r.candidateFiles, r.removedFiles, r.removedMiB, r.addedMiB, r.peakRssMiB] as Array<string | number>),
  );
  const file = writeResult('delete', { rows, build: { seconds: built.seconds, files: built.files, MiB: mib(built.bytes) }, loadWarning: warning, results });
  console.log(`results: ${file}`);
  if (!process.env.BENCH_KEEP) removeDir(built.dir);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
