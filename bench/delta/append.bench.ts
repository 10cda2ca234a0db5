/**
 * Append throughput into a partitioned Delta table (BRONZE_TABLE schema, partitioned by jour):
 * one `table.append(...)` per batch, i.e. one Delta commit per batch, with the automatic
 * checkpoints every `delta.checkpointInterval` (10) commits included as they happen. Two inputs:
 * - rows: JS objects, as the row-wise API takes them (ISO timestamp strings, Dates, strings);
 * - columns: the same rows as a ColumnBatch (typed arrays, string dictionaries), the way a
 *   columnar producer hands them over (an Arrow batch for delta-rs; the ingestor's decoder here).
 * Building either input is excluded from the append time, as generating the rows always was.
 *
 * Baseline: parquetjs-lite writing the same rows, in the same batches, one Parquet file per
 * batch, no Delta log (so no partitioning, no stats JSON, no commits, no checkpoints).
 *
 * Each scenario runs in its own Node process so its peak RSS is its own.
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only bench/delta/append.bench.ts
 *   env: APPEND_ROWS (default 1000000), APPEND_ROWS_1K (rows for the 1k-batch cases, default
 *        APPEND_ROWS), APPEND_ONLY=delta|baseline, BENCH_TMP (where tables go), BENCH_KEEP=1.
 */
import { mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toEpochDays, toEpochMicros } from '@app/delta';
import {
  cpuMs,
  createBronzeTable,
  salesColumnBatch,
  fmtInt,
  loadWarning,
  mib,
  now,
  printTable,
  removeDir,
  reportToParent,
  round,
  RssSampler,
  runBenchmark,
  runChild,
  salesBatch,
  scenarioArg,
  tempDir,
  writeResult,
} from './common';

const TARGET_ROWS_PER_S = 300_000;

interface ScenarioResult {
  scenario: string;
  engine: 'delta-duckdb (rows)' | 'delta-duckdb (columns)' | 'parquetjs-lite (baseline)';
  batchSize: number;
  rows: number;
  batches: number;
  /** Time inside append()/file writing only; row generation excluded. */
  appendSeconds: number;
  rowsPerSecond: number;
  /** CPU time (all threads, DuckDB's included) spent in the append calls: less sensitive to a busy machine. */
  appendCpuSeconds: number;
  loadAverage1m: number[];
  /** Wall time including generating the rows. */
  wallSeconds: number;
  generateSeconds: number;
  peakRssMiB: number;
  batchMs: { p50: number; p95: number; max: number };
  delta?: {
    version: number;
    dataFiles: number;
    checkpoints: number;
    /** Time in writeDataFiles (validate, appender, COPY ... RETURN_STATS, per partition). */
    writeFilesSeconds: number;
    /** Time in table.commit excluding checkpoints: commit JSON + put-if-absent, log cleanup listing. */
    commitSeconds: number;
    /** Time writing checkpoints (every 10 commits). */
    checkpointSeconds: number;
    lastCheckpointMs: number;
    bytesOnDisk: number;
  };
  files?: number;
  bytesOnDisk?: number;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function duSize(dir: string): Promise<number> {
  const { promises: fs } = await import('node:fs');
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else total += (await fs.stat(p)).size;
    }
  };
  await walk(dir);
  return total;
}

async function runDelta(rows: number, batchSize: number, input: 'rows' | 'columns'): Promise<ScenarioResult> {
  const dir = tempDir('bench-append-delta-');
  const table = await createBronzeTable(dir);
  // Instrument commit and checkpoint on this instance (the prototype stays untouched).
  let commitMs = 0;
  let checkpointMs = 0;
  let checkpoints = 0;
  let lastCheckpointMs = 0;
  const commit = table.commit.bind(table);
  const checkpoint = table.checkpoint.bind(table);
  table.commit = async (req) => {
    const t = now();
    try {
      return await commit(req);
    } finally {
      commitMs += now() - t;
    }
  };
  table.checkpoint = async () => {
    const t = now();
    await checkpoint();
    lastCheckpointMs = now() - t;
    checkpointMs += lastCheckpointMs;
    checkpoints++;
  };
  const { appendMs, figures } = await timeBatches(
    rows,
    batchSize,
    (start, count) => (input === 'rows' ? { rows: salesBatch(start, count, rows) } : { columns: salesColumnBatch(start, count, rows) }),
    (source) => table.append(source),
  );
  const result: ScenarioResult = {
    scenario: `delta-duckdb-${input}/${batchSize}`,
    engine: `delta-duckdb (${input})`,
    ...figures,
    delta: {
      version: table.version,
      dataFiles: table.snapshot.state.files.size,
      checkpoints,
      writeFilesSeconds: round((appendMs - commitMs) / 1000, 2),
      commitSeconds: round((commitMs - checkpointMs) / 1000, 2),
      checkpointSeconds: round(checkpointMs / 1000, 2),
      lastCheckpointMs: round(lastCheckpointMs),
      bytesOnDisk: await duSize(dir),
    },
  };
  removeDir(dir);
  return result;
}

async function runParquetjsLite(rows: number, batchSize: number): Promise<ScenarioResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const parquet = require('parquetjs-lite');
  const dir = tempDir('bench-append-pqlite-');
  // The same 16 columns (jour kept in the file: there is no partitioning here), timestamps as
  // INT64 TIMESTAMP_MICROS, snappy like the Delta files, V1 pages (V2 is unreadable for some tools).
  const schema = new parquet.ParquetSchema({
    vente_id: { type: 'INT64' },
    client_id: { type: 'INT32' },
    produit_id: { type: 'INT32' },
    timestamp: { type: 'TIMESTAMP_MICROS' },
    quantite: { type: 'INT32' },
    montant: { type: 'DOUBLE' },
    client_nom: { type: 'UTF8' },
    produit_nom: { type: 'UTF8' },
    categorie: { type: 'UTF8' },
    pays: { type: 'UTF8' },
    segment: { type: 'UTF8' },
    kafka_topic: { type: 'UTF8' },
    kafka_partition: { type: 'INT32' },
    kafka_offset: { type: 'INT64' },
    date_ingestion: { type: 'TIMESTAMP_MICROS' },
    jour: { type: 'DATE' },
  });
  for (const f of Object.values(schema.fields) as Array<{
    compression: string;
  }>)
    f.compression = 'SNAPPY';
  let files = 0;
  mkdirSync(dir, { recursive: true });
  const { figures } = await timeBatches(
    rows,
    batchSize,
    (start, count) => salesBatch(start, count, rows),
    async (batch) => {
      const writer = await parquet.ParquetWriter.openFile(schema, path.join(dir, `part-${String(files).padStart(5, '0')}.snappy.parquet`), {
        useDataPageV2: false,
        rowGroupSize: batchSize,
      });
      for (const r of batch) {
        // Same input rows as the Delta path: ISO strings and Dates become micros / days here.
        await writer.appendRow({
          ...r,
          timestamp: toEpochMicros(r.timestamp),
          date_ingestion: toEpochMicros(r.date_ingestion),
          jour: toEpochDays(r.jour),
        });
      }
      await writer.close();
      files++;
    },
  );
  const bytes = await duSize(dir);
  removeDir(dir);
  return {
    scenario: `parquetjs-lite/${batchSize}`,
    engine: 'parquetjs-lite (baseline)',
    ...figures,
    files,
    bytesOnDisk: bytes,
  };
}

async function child(): Promise<void> {
  const [engine, batch, rows] = scenarioArg().split(':');
  const res =
    engine === 'parquetjs-lite' ? await runParquetjsLite(Number(rows), Number(batch)) : await runDelta(Number(rows), Number(batch), engine === 'delta-columns' ? 'columns' : 'rows');
  reportToParent(res);
  process.exit(0);
}

function main(): void {
  const rows = Number(process.env.APPEND_ROWS ?? 1_000_000);
  const rows1k = Number(process.env.APPEND_ROWS_1K ?? rows);
  const only = process.env.APPEND_ONLY;
  const plan: Array<[string, number, number]> = [];
  if (only !== 'baseline') plan.push(['delta-columns', 50_000, rows], ['delta', 50_000, rows], ['delta-columns', 1_000, rows1k], ['delta', 1_000, rows1k]);
  if (only !== 'delta') plan.push(['parquetjs-lite', 50_000, rows], ['parquetjs-lite', 1_000, rows1k]);
  console.log(`append.bench: ${fmtInt(rows)} BRONZE_TABLE rows (16 columns, ~3 days, partitioned by jour), one scenario per process\n`);
  const results: ScenarioResult[] = [];
  for (const [engine, batch, n] of plan) {
    console.log(`running ${engine}, batches of ${fmtInt(batch)}, ${fmtInt(n)} rows ...`);
    results.push(runChild<ScenarioResult>(__filename, `${engine}:${batch}:${n}`));
  }
  console.log('');
  printTable(
    [
      'scenario',
      'batch',
      'rows',
      'commits/files',
      'rows/s',
      'append s',
      'CPU s',
      'wall s (incl. gen)',
      'batch p50 ms',
      'batch p95 ms',
      'peak RSS MiB',
      'load 1m',
    ],
    results.map((r) => [
      r.engine,
      fmtInt(r.batchSize),
      fmtInt(r.rows),
      fmtInt(r.batches),
      fmtInt(r.rowsPerSecond),
      r.appendSeconds.toFixed(2),
      r.appendCpuSeconds.toFixed(2),
      r.wallSeconds.toFixed(2),
      r.batchMs.p50.toFixed(1),
      r.batchMs.p95.toFixed(1),
      r.peakRssMiB.toFixed(1),
      r.loadAverage1m.join('→'),
    ]),
  );
  const deltas = results.filter((r) => r.delta);
  if (deltas.length) {
    console.log('\nDelta (DuckDB) time breakdown:');
    printTable(
      ['batch', 'version', 'data files', 'checkpoints', 'write files s', 'commit s', 'checkpoint s', 'last checkpoint ms', 'MiB on disk'],
      deltas.map((r) => [
        fmtInt(r.batchSize),
        r.delta!.version,
        fmtInt(r.delta!.dataFiles),
        r.delta!.checkpoints,
        r.delta!.writeFilesSeconds.toFixed(2),
        r.delta!.commitSeconds.toFixed(2),
        r.delta!.checkpointSeconds.toFixed(2),
        r.delta!.lastCheckpointMs.toFixed(1),
        mib(r.delta!.bytesOnDisk).toFixed(1),
      ]),
    );
  }
  console.log('\nappend s = time inside append()/file writing, row generation excluded ("wall" includes it); CPU s = user+sys');
  console.log('of all threads during those calls. parquetjs-lite is the BASELINE:');
  console.log('one file per batch, no partitioning, no Delta log, no stats JSON, no checkpoints.');
  const targets = results
    .filter((r) => r.engine !== 'parquetjs-lite (baseline)' && r.batchSize === 50_000)
    .map((r) => ({
      target: `Delta append >= ${fmtInt(TARGET_ROWS_PER_S)} rows/s in 50k batches, ${r.engine}`,
      value: r.rowsPerSecond,
      met: r.rowsPerSecond >= TARGET_ROWS_PER_S,
    }));
  const warn = loadWarning();
  if (warn) console.log(warn);
  for (const t of targets) console.log(`TARGET ${t.met ? 'MET' : 'MISSED'}: ${t.target}: ${fmtInt(t.value)} rows/s`);
  const file = writeResult('append', {
    rows,
    rows1kBatches: rows1k,
    results,
    targets,
  });
  console.log(`\nresult: ${path.relative(process.cwd(), file)}`);
}

/**
 * Writes `rows` rows in batches of `batchSize`: `make` builds each batch (timed apart: generating
 * rows is not writing them), `write` writes it. Returns the time spent in `write` and the figures
 * every append scenario reports.
 */
async function timeBatches<B>(rows: number, batchSize: number, make: (start: number, count: number) => B, write: (batch: B) => Promise<unknown>) {
  const rss = new RssSampler();
  const wall0 = now();
  const load0 = os.loadavg()[0];
  let appendMs = 0;
  let cpu = 0;
  let genMs = 0;
  const perBatch: number[] = [];
  for (let start = 0; start < rows; start += batchSize) {
    const g = now();
    const batch = make(start, Math.min(batchSize, rows - start));
    genMs += now() - g;
    const t = now();
    const c = cpuMs();
    await write(batch);
    const dt = now() - t;
    cpu += cpuMs() - c;
    perBatch.push(dt);
    appendMs += dt;
    rss.sample();
  }
  const wallMs = now() - wall0;
  const figures = {
    batchSize,
    rows,
    batches: perBatch.length,
    appendSeconds: round(appendMs / 1000, 2),
    rowsPerSecond: Math.round(rows / (appendMs / 1000)),
    appendCpuSeconds: round(cpu / 1000, 2),
    loadAverage1m: [round(load0, 2), round(os.loadavg()[0], 2)],
    wallSeconds: round(wallMs / 1000, 2),
    generateSeconds: round(genMs / 1000, 2),
    peakRssMiB: mib(rss.stop()),
    batchMs: {
      p50: round(percentile(perBatch, 50)),
      p95: round(percentile(perBatch, 95)),
      max: round(Math.max(...perBatch)),
    },
  };
  return { appendMs, figures };
}

runBenchmark(main, child);
