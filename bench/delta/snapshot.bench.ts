/**
 * Snapshot load time: `DeltaTable.open(dir)` on a 5,000-commit table (versions 0..4999), each
 * commit after version 0 a small append of 1–5 rows, built twice:
 *   - "checkpoint/10": delta.checkpointInterval=10, checkpoints written by the library as it
 *     commits (table.commit -> writeCheckpoint every 10 versions, then log cleanup);
 *   - "no checkpoint": delta.checkpointInterval=1000000000, so no checkpoint file at all.
 *
 * To build fast, data files are not written 5,000 times: 15 real Parquet files (1..5 rows for
 * each of 3 days) are written once by the library's own writer, and every commit adds a hard
 * link to one of them under a unique partition path, with that file's real size and stats. The
 * commits themselves go through the library (commitAdds -> commitTransaction), so the log is exactly
 * what it writes: version 0 protocol + metaData, then commitInfo + txn + add (with stats).
 *
 * Each open is measured in a fresh Node process: the first open there is the "cold" one (module
 * JIT, DuckDB instance start-up for the checkpoint read, OS page cache already warm from the
 * build), then 1 warm-up and 5 timed opens, median reported.
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only bench/delta/snapshot.bench.ts
 *   env: SNAPSHOT_COMMITS (default 5000), BENCH_TMP, BENCH_KEEP=1.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  AddAction,
  commitAdds,
  decodeLogPath,
  DeltaTable,
  encodeLogPath,
  LOG_DIR,
  LocalObjectStore,
  pad20,
  parseLogFileName,
  readCheckpoint,
  readCommits,
  readLastCheckpoint,
  withConnection,
  writeDataFiles,
} from '@app/delta';
import { BRONZE_TABLE } from '@app/schemas';
import {
  cpuMs,
  createBronzeTable,
  DAYS,
  fmtInt,
  loadWarning,
  median,
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
  START_MS,
  tempDir,
  writeResult,
} from './common';

const TARGET_MS = 200;
const RUNS = 5;

interface BuildResult {
  mode: string;
  dir: string;
  version: number;
  liveFiles: number;
  numRecords: number;
  rowsReadBack: number;
  buildSeconds: number;
  checkpointFiles: number;
  commitFiles: number;
  logBytes: number;
  lastCheckpointBytes: number;
}

interface OpenResult {
  mode: string;
  coldMs: number;
  warmupMs: number;
  runsMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  cpuMsPerOpen: number;
  peakRssMiB: number;
  version: number;
  files: number;
  /** One instrumented load, phase by phase (same calls as loadSnapshot). */
  phasesMs: Record<string, number>;
  loadAverage1m: number;
}

function hash(i: number): number {
  let h = Math.imul(i ^ 0x5bd1e995, 0x27d4eb2d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

const dayOf = (d: number): string => new Date(START_MS + d * 86_400_000).toISOString().slice(0, 10);

/** 15 real data files: 1..5 rows for each day, written by the library's writer. */
async function templates(dir: string): Promise<AddAction[][]> {
  const store = new LocalObjectStore(dir);
  const out: AddAction[][] = [];
  for (let d = 0; d < DAYS; d++) {
    out.push([]);
    for (let n = 1; n <= 5; n++) {
      const all = salesBatch(0, 3000, 3000).filter((r) => r.jour === dayOf(d));
      const [add] = await writeDataFiles(store, BRONZE_TABLE.schema, BRONZE_TABLE.partitionColumns, { rows: all.slice(0, n) });
      out[d].push(add);
    }
  }
  return out;
}

async function build(mode: 'checkpoint' | 'none', commits: number): Promise<BuildResult> {
  const t0 = now();
  const dir = tempDir(`bench-snapshot-${mode}-`);
  const tplDir = path.join(dir, '..', `${path.basename(dir)}-templates`);
  const tpl = await templates(tplDir);
  const table = await createBronzeTable(dir, {
    configuration: {
      'delta.checkpointInterval': mode === 'checkpoint' ? '10' : '1000000000',
    },
  });
  for (let v = 1; v < commits; v++) {
    const d = Math.min(DAYS - 1, Math.floor(((v - 1) * DAYS) / (commits - 1)));
    const t = tpl[d][hash(v) % 5];
    const day = dayOf(d);
    const relative = `jour=${day}/part-00000-${randomUUID()}-c000.snappy.parquet`;
    await fs.mkdir(path.join(dir, `jour=${day}`), { recursive: true });
    await fs.link(path.join(tplDir, decodeLogPath(t.path)), path.join(dir, relative));
    const add: AddAction = {
      ...t,
      path: encodeLogPath(relative),
      partitionValues: { jour: day },
      modificationTime: Date.now(),
    };
    // Exactly-once ingestion commits its Kafka progress with the data: one txn per partition.
    await commitAdds(table.log, table.snapshot, [add], {
      txns: [{ appId: `bench-bronze-${v % 3}`, version: v }],
    });
  }
  const buildSeconds = round((now() - t0) / 1000, 1);
  await fs.rm(tplDir, { recursive: true, force: true }).catch(() => undefined);
  // Validate what was built: it opens, has every version and file, and its data files read.
  const check = await DeltaTable.open(dir);
  const plan = await check.scan();
  const rowsReadBack = await withConnection(async (conn) =>
    Number((await conn.runAndReadAll(`SELECT count(*)::BIGINT FROM (${plan.sql})`)).getRows()[0][0]),
  );
  const log = await fs.readdir(path.join(dir, LOG_DIR));
  let logBytes = 0;
  for (const f of log) logBytes += (await fs.stat(path.join(dir, LOG_DIR, f))).size;
  const lastCp = log
    .filter((f) => parseLogFileName(f)?.kind === 'checkpoint')
    .sort()
    .pop();
  return {
    mode,
    dir,
    version: check.version,
    liveFiles: check.snapshot.state.files.size,
    numRecords: check.snapshot.numRecords(),
    rowsReadBack,
    buildSeconds,
    checkpointFiles: log.filter((f) => parseLogFileName(f)?.kind === 'checkpoint').length,
    commitFiles: log.filter((f) => parseLogFileName(f)?.kind === 'commit').length,
    logBytes,
    lastCheckpointBytes: lastCp ? (await fs.stat(path.join(dir, LOG_DIR, lastCp))).size : 0,
  };
}

/** The steps of loadSnapshot, timed one by one (same store calls, same order). */
async function phases(dir: string): Promise<Record<string, number>> {
  const store = new LocalObjectStore(dir);
  const out: Record<string, number> = {};
  let t = now();
  const hint = await readLastCheckpoint(store);
  out.readLastCheckpoint = now() - t;
  t = now();
  const listing = await store.list(LOG_DIR, hint ? pad20(hint.version) : undefined);
  out.listLog = now() - t;
  const cp = listing
    .map((f) => parseLogFileName(f.path.slice(LOG_DIR.length + 1)))
    .filter((p) => p?.kind === 'checkpoint')
    .pop();
  const commits = listing
    .map((f) => parseLogFileName(f.path.slice(LOG_DIR.length + 1)))
    .filter((p) => p?.kind === 'commit' && (!cp || p.version > cp.version))
    .map((p) => p!.version);
  if (cp) {
    t = now();
    await readCheckpoint(store, [`${LOG_DIR}/${pad20(cp.version)}.checkpoint.parquet`]);
    out.readCheckpoint = now() - t;
  }
  t = now();
  await readCommits(store, commits);
  out[`readCommits(${commits.length})`] = now() - t;
  for (const k of Object.keys(out)) out[k] = round(out[k], 1);
  return out;
}

async function measureOpen(mode: string, dir: string): Promise<OpenResult> {
  const rss = new RssSampler(5);
  const load = os.loadavg()[0];
  let t = now();
  const first = await DeltaTable.open(dir);
  const coldMs = now() - t;
  t = now();
  await DeltaTable.open(dir);
  const warmupMs = now() - t;
  const runs: number[] = [];
  const c = cpuMs();
  for (let i = 0; i < RUNS; i++) {
    t = now();
    await DeltaTable.open(dir);
    runs.push(round(now() - t, 1));
    rss.sample();
  }
  const cpu = (cpuMs() - c) / RUNS;
  const phasesMs = await phases(dir);
  return {
    mode,
    coldMs: round(coldMs, 1),
    warmupMs: round(warmupMs, 1),
    runsMs: runs,
    medianMs: round(median(runs), 1),
    minMs: Math.min(...runs),
    maxMs: Math.max(...runs),
    cpuMsPerOpen: round(cpu, 1),
    peakRssMiB: mib(rss.stop()),
    version: first.version,
    files: first.snapshot.state.files.size,
    phasesMs,
    loadAverage1m: round(load, 2),
  };
}

async function child(): Promise<void> {
  const [what, mode, arg] = scenarioArg().split(':');
  const res = what === 'build' ? await build(mode as 'checkpoint' | 'none', Number(arg)) : await measureOpen(mode, arg);
  reportToParent(res);
  process.exit(0);
}

function main(): void {
  const commits = Number(process.env.SNAPSHOT_COMMITS ?? 5000);
  console.log(`snapshot.bench: DeltaTable.open on a ${fmtInt(commits)}-commit BRONZE_TABLE table (1-5 rows per commit)\n`);
  const builds: BuildResult[] = [];
  const opens: OpenResult[] = [];
  try {
    for (const mode of ['checkpoint', 'none'] as const) {
      console.log(`building (${mode === 'checkpoint' ? 'checkpoint every 10 commits' : 'no checkpoints'}) ...`);
      const b = runChild<BuildResult>(__filename, `build:${mode}:${commits}`);
      builds.push(b);
      console.log(
        `  built in ${b.buildSeconds} s: version ${b.version}, ${fmtInt(b.liveFiles)} live files, ${b.checkpointFiles} checkpoints, ${fmtInt(b.rowsReadBack)} rows read back`,
      );
      console.log(`measuring open (fresh process: 1 cold + 1 warm-up + ${RUNS} runs) ...`);
      opens.push(runChild<OpenResult>(__filename, `open:${mode}:${b.dir}`));
    }
  } finally {
    for (const b of builds) removeDir(b.dir);
  }
  console.log('');
  printTable(
    [
      'table',
      'version',
      'live files',
      'checkpoints',
      'log MiB',
      'cold open ms',
      'median open ms',
      'min ms',
      'max ms',
      'CPU ms/open',
      'peak RSS MiB',
      'build s',
    ],
    opens.map((o, i) => [
      o.mode === 'checkpoint' ? 'checkpoint every 10' : 'no checkpoint',
      o.version,
      fmtInt(o.files),
      builds[i].checkpointFiles,
      mib(builds[i].logBytes).toFixed(1),
      o.coldMs.toFixed(1),
      o.medianMs.toFixed(1),
      o.minMs.toFixed(1),
      o.maxMs.toFixed(1),
      o.cpuMsPerOpen.toFixed(1),
      o.peakRssMiB.toFixed(1),
      builds[i].buildSeconds.toFixed(1),
    ]),
  );
  console.log('\nOne load, phase by phase (ms):');
  for (const o of opens)
    console.log(
      `  ${o.mode.padEnd(10)} ${Object.entries(o.phasesMs)
        .map(([k, v]) => `${k}=${v}`)
        .join('  ')}`,
    );
  console.log(`\nmedian of ${RUNS} opens after 1 warm-up, same process; cold = the first open in a fresh process.`);
  const cp = opens.find((o) => o.mode === 'checkpoint')!;
  const targets = [
    {
      target: `open <= ${TARGET_MS} ms with checkpoints (median)`,
      value: cp.medianMs,
      met: cp.medianMs <= TARGET_MS,
    },
  ];
  const warn = loadWarning();
  if (warn) console.log(warn);
  for (const t of targets) console.log(`TARGET ${t.met ? 'MET' : 'MISSED'}: ${t.target}: ${t.value} ms (cold first open: ${cp.coldMs} ms)`);
  const file = writeResult('snapshot', {
    commits,
    builds: builds.map(({ dir: _dir, ...b }) => b),
    opens,
    targets,
  });
  console.log(`\nresult: ${path.relative(process.cwd(), file)}`);
}

runBenchmark(main, child);
