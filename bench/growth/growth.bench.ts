/**
 * bench:growth: do the Delta log's costs stay flat as the log grows (issue 13)?
 *
 * 1. Growth, one process: tables whose logs hold 1k, 10k... GROWTH_MAX_COMMITS commits (default
 *    100k); on each, the median cost of an append+commit, update() after one new commit, a
 *    checkpoint commit (every 10th, with its log cleanup), history(10) and opening by timestamp,
 *    sampled in interleaved rounds. Targets: each at the largest size <= 1.3x its cost at 1k
 *    (checkpoint commit <= 2x). The logs are grown fast by writing the ingestor's kind of commit
 *    (commitInfo + txn, no files) straight to `_delta_log`, one a second of commit time, with a
 *    checkpoint every 10 versions (copies of a real one); every measured operation goes through
 *    the library.
 * 2. A simulated month: GROWTH_MONTH_COMMITS (default 30k) bronze flushes as fast as the machine
 *    allows on a table with bronze's properties, the clock (commit times, file times, event
 *    times) spread over 30 days; a vacuum each simulated day. Per day: flush cost, `_delta_log`
 *    file count and bytes, live and on-disk data.
 *
 * Writes bench/results/growth.json; a part given size 0 is skipped and keeps its last figures.
 * Figures are wall-clock on a possibly shared machine.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CommitInfoAction, DeltaTable, ENGINE_INFO, footprint, LAST_CHECKPOINT, LocalObjectStore, pad20, Row, serializeActions } from '@app/delta';
import { BRONZE_TABLE } from '@app/schemas';
import { loadWarning, machineInfo, median, now, printTable, removeDir, round, salesBatch, tempDir, writeResult } from '../delta/common';

const MAX_COMMITS = Number(process.env.GROWTH_MAX_COMMITS ?? 100_000);
const MONTH_COMMITS = Number(process.env.GROWTH_MONTH_COMMITS ?? 30_000);
const SAMPLES = Number(process.env.GROWTH_SAMPLES ?? 30);
const CHECKPOINT_INTERVAL = 10;
const DAY_MS = 86_400_000;


/** 1k, 10k, 100k... up to the largest size, which is always measured. */
function sizes(max: number): number[] {
  const out: number[] = [];
  for (let s = 1000; s < max; s *= 10) out.push(s);
  return max > 0 ? [...out, max] : [];
}

const ms = (x: number): number => round(x, 3);

// ---------------------------------------------------------------------------------------------
// 1. Growth
// ---------------------------------------------------------------------------------------------

interface GrowthPoint {
  commits: number;
  appendCommitMs: number;
  updateAfterOneCommitMs: number;
  checkpointCommitMs: number;
  history10Ms: number;
  openByTimestampMs: number;
}

type Metric = Exclude<keyof GrowthPoint, 'commits'>;
const METRICS: Array<{ key: Metric; target: number }> = [
  { key: 'appendCommitMs', target: 1.3 },
  { key: 'updateAfterOneCommitMs', target: 1.3 },
  { key: 'checkpointCommitMs', target: 2 },
  { key: 'history10Ms', target: 1.3 },
  { key: 'openByTimestampMs', target: 1.3 },
];

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = now();
  const r = await f();
  return [now() - t0, r];
}

/** Writes the commits after the table's version up to `target` straight to the log, one second of commit time apart. */
async function growLog(dir: string, table: DeltaTable, target: number, t0: number): Promise<void> {
  const logDir = path.join(dir, '_delta_log');
  const first = table.version + 1;
  for (let v = first; v <= target; v++) {
    const timestamp = t0 + v * 1000;
    const commitInfo: CommitInfoAction = { timestamp, operation: 'WRITE', operationParameters: { mode: 'Append' }, readVersion: v - 1, isBlindAppend: true, engineInfo: ENGINE_INFO };
    const file = path.join(logDir, `${pad20(v)}.json`);
    await fs.writeFile(file, serializeActions([{ commitInfo }, { txn: { appId: 'bench-growth', version: v, lastUpdated: timestamp } }]));
    await fs.utimes(file, timestamp / 1000, timestamp / 1000);
  }
  // The writer catches up (reading only the new commits), then one real checkpoint is copied
  // to every checkpoint slot of the new range.
  await table.update();
  const last = Math.floor(target / CHECKPOINT_INTERVAL) * CHECKPOINT_INTERVAL;
  await table.checkpoint();
  const real = await fs.readFile(path.join(logDir, `${pad20(target)}.checkpoint.parquet`));
  await fs.rm(path.join(logDir, `${pad20(target)}.checkpoint.parquet`));
  for (let v = Math.ceil(first / CHECKPOINT_INTERVAL) * CHECKPOINT_INTERVAL; v <= last; v += CHECKPOINT_INTERVAL) {
    await fs.writeFile(path.join(logDir, `${pad20(v)}.checkpoint.parquet`), real);
  }
  const hint = JSON.parse(await fs.readFile(path.join(dir, LAST_CHECKPOINT), 'utf8')) as { version: number };
  await fs.writeFile(path.join(dir, LAST_CHECKPOINT), JSON.stringify({ ...hint, version: last }));
}

async function commitTxn(table: DeltaTable): Promise<number> {
  return table.commit({
    actions: [{ txn: { appId: 'bench-other-writer', version: table.version + 1, lastUpdated: Date.now() } }],
    operation: 'WRITE',
    readVersion: table.version,
    isBlindAppend: true,
    footprint: footprint(),
  });
}

/** One table of the growth part, grown to `commits`, with a writer and a reader handle. */
interface GrownTable {
  commits: number;
  dir: string;
  writer: DeltaTable;
  reader: DeltaTable;
  samples: Record<Metric, number[]>;
}

async function grownTable(commits: number, t0: number): Promise<GrownTable> {
  const dir = tempDir('bench-growth-');
  const writer = await DeltaTable.create(dir, {
    schema: BRONZE_TABLE.schema,
    partitionColumns: BRONZE_TABLE.partitionColumns,
    configuration: { 'delta.checkpointInterval': String(CHECKPOINT_INTERVAL) },
  });
  await fs.utimes(path.join(dir, '_delta_log', `${pad20(0)}.json`), t0 / 1000, t0 / 1000);
  const start = now();
  await growLog(dir, writer, commits, t0);
  console.log(`grew a log to ${commits} commits in ${round((now() - start) / 1000)} s`);
  const samples = Object.fromEntries(METRICS.map(({ key }) => [key, [] as number[]])) as Record<Metric, number[]>;
  return { commits, dir, writer, reader: await DeltaTable.open(dir), samples };
}

/**
 * One sample of each cost on one table. Every table gets the same measured commits, so their
 * states (live files, txns) stay alike: only the length of their logs differs.
 */
async function sampleOnce(t: GrownTable, t0: number, round: number, rowBase: { next: number }): Promise<void> {
  await t.reader.update(); // the last round's appends, not measured
  await commitTxn(t.writer);
  const [update, n] = await timed(() => t.reader.update());
  if (n !== 1) throw new Error(`update() saw ${n} commits, expected 1`);
  t.samples.updateAfterOneCommitMs.push(update);
  // Appends up to and including the next checkpoint commit.
  for (;;) {
    const rows = salesBatch(rowBase.next, 10, 1_000_000);
    rowBase.next += 10;
    const [ms, res] = await timed(() => t.writer.append({ rows }));
    if (res.version % CHECKPOINT_INTERVAL === 0) {
      t.samples.checkpointCommitMs.push(ms);
      break;
    }
    t.samples.appendCommitMs.push(ms);
  }
  const [history, h] = await timed(() => t.reader.history(10));
  if (h.length !== 10) throw new Error('history(10) returned fewer entries');
  t.samples.history10Ms.push(history);
  // A version of the grown log, a different one each round.
  const v = 1 + Math.floor((((round * 7919) % SAMPLES) + 0.5) / SAMPLES * (t.commits - 2));
  const [open, table] = await timed(() => DeltaTable.open(t.dir, { timestamp: t0 + v * 1000 + 500 }));
  if (table.version !== v) throw new Error(`open by timestamp found version ${table.version}, expected ${v}`);
  t.samples.openByTimestampMs.push(open);
}

/**
 * The tables of every size are built first, then measured in interleaved rounds (one sample
 * of each cost on each table per round), so that a busy machine weighs on all sizes alike.
 */
async function growth(): Promise<Record<string, unknown>> {
  // Commit times of the grown logs: one a second, ending before now, inside the 30-day log retention.
  const t0 = Date.now() - (MAX_COMMITS + 10_000) * 1000;
  const tables: GrownTable[] = [];
  try {
    for (const size of sizes(MAX_COMMITS)) tables.push(await grownTable(size, t0));
    const rowBase = { next: 0 };
    // A first round warms DuckDB and the file cache up and is discarded.
    for (const t of tables) await sampleOnce(t, t0, 0, rowBase);
    for (const t of tables) for (const { key } of METRICS) t.samples[key] = [];
    for (let r = 0; r < SAMPLES; r++) {
      // The order rotates so that no size always runs first (or right after the heaviest).
      for (let k = 0; k < tables.length; k++) await sampleOnce(tables[(r + k) % tables.length], t0, r, rowBase);
    }
  } finally {
    for (const t of tables) removeDir(t.dir);
  }
  const points: GrowthPoint[] = [];
  for (const t of tables) {
    points.push({
      commits: t.commits,
      appendCommitMs: ms(median(t.samples.appendCommitMs)),
      updateAfterOneCommitMs: ms(median(t.samples.updateAfterOneCommitMs)),
      checkpointCommitMs: ms(median(t.samples.checkpointCommitMs)),
      history10Ms: ms(median(t.samples.history10Ms)),
      openByTimestampMs: ms(median(t.samples.openByTimestampMs)),
    });
  }
  const first = points[0];
  const last = points[points.length - 1];
  const ratios = Object.fromEntries(METRICS.map(({ key, target }) => [key, { ratio: round(last[key] / first[key], 2), target, met: last[key] / first[key] <= target }]));
  printTable(
    ['commits', 'append+commit ms', 'update() ms', 'checkpoint commit ms', 'history(10) ms', 'open by timestamp ms'],
    points.map((p) => [p.commits, p.appendCommitMs, p.updateAfterOneCommitMs, p.checkpointCommitMs, p.history10Ms, p.openByTimestampMs]),
  );
  printTable(
    ['metric', `ratio ${last.commits}/${first.commits}`, 'target', 'met'],
    METRICS.map(({ key }) => [key, ratios[key].ratio, ratios[key].target, String(ratios[key].met)]),
  );
  return { maxCommits: MAX_COMMITS, samples: SAMPLES, points, ratios };
}

// ---------------------------------------------------------------------------------------------
// 2. A simulated month
// ---------------------------------------------------------------------------------------------

/** A local store whose files are stamped with a simulated clock, as they would be had the month really passed. */
class SimulatedClockStore extends LocalObjectStore {
  constructor(
    root: string,
    private readonly clock: () => number,
  ) {
    super(root);
  }

  private async stamp(p: string): Promise<void> {
    const t = this.clock() / 1000;
    await fs.utimes(await this.readablePath(p), t, t);
  }

  override async putIfAbsent(p: string, data: Buffer | string): Promise<void> {
    await super.putIfAbsent(p, data);
    await this.stamp(p);
  }

  override async put(p: string, data: Buffer | string): Promise<void> {
    await super.put(p, data);
    await this.stamp(p);
  }

  /** Data files are written in place: stamped when published. */
  override async publish(p: string, stagingPath: string): Promise<void> {
    await super.publish(p, stagingPath);
    await this.stamp(p);
  }
}

async function dirUsage(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const walk = async (d: string): Promise<void> => {
    for (const ent of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) await walk(p);
      else {
        files++;
        bytes += (await fs.stat(p)).size;
      }
    }
  };
  await walk(dir);
  return { files, bytes };
}

interface SimulatedDay {
  day: number;
  flushes: number;
  flushMedianMs: number;
  flushP95Ms: number;
  flushMaxMs: number;
  logFiles: number;
  logMiB: number;
  liveFiles: number;
  dataFilesOnDisk: number;
  dataMiB: number;
}

function eventRows(start: number, count: number, at: number): Row[] {
  const d = new Date(at);
  const iso = d.toISOString().slice(0, 23) + '000';
  return salesBatch(start, count, 1_000_000).map((r) => ({ ...r, timestamp: iso, date_ingestion: d, jour: iso.slice(0, 10) }));
}

async function simulatedMonth(): Promise<Record<string, unknown>> {
  const dir = tempDir('bench-month-');
  const start = Date.UTC(2025, 0, 1);
  const step = (30 * DAY_MS) / MONTH_COMMITS;
  let simNow = start;
  const clock = (): number => simNow;
  const days: SimulatedDay[] = [];
  try {
    const store = new SimulatedClockStore(dir, clock);
    const table = await DeltaTable.create(dir, {
      schema: BRONZE_TABLE.schema,
      partitionColumns: BRONZE_TABLE.partitionColumns,
      configuration: BRONZE_TABLE.configuration,
      store,
      clock,
    });
    let flushTimes: number[] = [];
    let day = 0;
    const wall = now();
    for (let i = 0; i < MONTH_COMMITS; i++) {
      simNow = start + Math.round((i + 1) * step);
      const [t] = await timed(() => table.append({ rows: eventRows(i * 10, 10, simNow) }));
      flushTimes.push(t);
      const dayOf = Math.floor((simNow - start) / DAY_MS);
      if (dayOf !== day || i === MONTH_COMMITS - 1) {
        // The end of a simulated day: vacuum with the table's retention, as the maintenance job does.
        await table.vacuum();
        const log = await dirUsage(path.join(dir, '_delta_log'));
        const all = await dirUsage(dir);
        const sorted = [...flushTimes].sort((a, b) => a - b);
        days.push({
          day: day + 1,
          flushes: flushTimes.length,
          flushMedianMs: ms(median(flushTimes)),
          flushP95Ms: ms(sorted[Math.floor(sorted.length * 0.95)]),
          flushMaxMs: ms(sorted[sorted.length - 1]),
          logFiles: log.files,
          logMiB: round(log.bytes / 1048576, 2),
          liveFiles: table.snapshot.files().length,
          dataFilesOnDisk: all.files - log.files,
          dataMiB: round((all.bytes - log.bytes) / 1048576, 2),
        });
        console.log(JSON.stringify(days[days.length - 1]));
        flushTimes = [];
        day = dayOf;
      }
    }
    const rows = table.snapshot.numRecords();
    if (rows !== MONTH_COMMITS * 10) throw new Error(`the table holds ${rows} rows, expected ${MONTH_COMMITS * 10}`);
    printTable(
      ['day', 'flushes', 'flush median ms', 'p95 ms', 'max ms', '_delta_log files', '_delta_log MiB', 'live files', 'data files on disk', 'data MiB'],
      days.map((d) => [d.day, d.flushes, d.flushMedianMs, d.flushP95Ms, d.flushMaxMs, d.logFiles, d.logMiB, d.liveFiles, d.dataFilesOnDisk, d.dataMiB]),
    );
    return { commits: MONTH_COMMITS, simulatedSecondsPerCommit: round(step / 1000, 1), wallSeconds: round((now() - wall) / 1000), configuration: BRONZE_TABLE.configuration, days };
  } finally {
    removeDir(dir);
  }
}

async function main(): Promise<void> {
  const warning = loadWarning();
  if (warning) console.log(warning);
  console.log(`bench:growth: log growth to ${MAX_COMMITS} commits, then a simulated month of ${MONTH_COMMITS} flushes`);
  // A part skipped (size 0) keeps the figures of its last run, each part carrying its own date.
  const previous = await fs
    .readFile(path.resolve(__dirname, '../results/growth.json'), 'utf8')
    .then((text) => JSON.parse(text) as Record<string, unknown>)
    .catch(() => ({}) as Record<string, unknown>);
  const stamp = (part: Record<string, unknown>) => ({ date: new Date().toISOString(), loadAverage1m: machineInfo().loadAverage1m, loadWarning: warning, ...part });
  const growthResult = MAX_COMMITS > 0 ? stamp(await growth()) : previous.growth;
  const month = MONTH_COMMITS > 0 ? stamp(await simulatedMonth()) : previous.simulatedMonth;
  const file = writeResult('growth', { growth: growthResult, simulatedMonth: month });
  console.log(`wrote ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
