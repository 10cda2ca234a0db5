/**
 * Shared helpers of the Delta benchmarks: a deterministic generator of bronze rows, tables of
 * them, an RSS
 * sampler, child-process isolation (one scenario per process so peak RSS is per scenario),
 * table printing and the JSON result file.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ColumnBatch, CreateOptions, DeltaTable, isoToSafeMicros, Row, toEpochDays } from '@app/delta';
import { BRONZE_TABLE } from '@app/schemas';

// ---------------------------------------------------------------------------------------------
// Deterministic bronze rows (BRONZE_TABLE: 11 sales fields + kafka lineage + date_ingestion + jour)
// ---------------------------------------------------------------------------------------------

/** 32-bit integer hash of (i, salt): every value of row i depends only on i, never on batching. */
function hash(i: number, salt: number): number {
  let h = (Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 0x27d4eb2f, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const FIRST = ['Jean', 'Marie', 'Pierre', 'Sophie', 'Luc', 'Camille', 'Nicolas', 'Julie', 'Thomas', 'Emma', 'Hugo', 'Léa'];
const LAST = ['Dupont', 'Martin', 'Bernard', 'Dubois', 'Durand', 'Lefèvre', 'Moreau', 'Laurent', 'Simon', 'Michel', 'Garcia'];
const PRODUCTS: Array<[string, string, number]> = [
  ['Ordinateur portable', 'Électronique', 899.99],
  ['Smartphone', 'Électronique', 599.0],
  ['Casque audio', 'Électronique', 129.5],
  ['Chaise de bureau', 'Mobilier', 249.9],
  ['Bureau assis-debout', 'Mobilier', 489.0],
  ['Cafetière', 'Électroménager', 79.99],
  ['Aspirateur robot', 'Électroménager', 299.0],
  ['Roman policier', 'Livres', 12.9],
  ['Bande dessinée', 'Livres', 15.5],
  ['Chaussures de course', 'Sport', 110.0],
];
const COUNTRIES = ['France', 'Belgique', 'Suisse', 'Luxembourg', 'Canada', 'Maroc', 'Sénégal'];
const SEGMENTS = ['Particulier', 'Entreprise'] as const;
const NUM_CLIENTS = 10_000;

/** Event time of row 0; rows span `DAYS` days in order, as events arrive on a Kafka topic. */
export const START_MS = Date.UTC(2024, 11, 10, 0, 0, 0);
export const DAYS = 3;
export const TOPIC = 'ventes_stream';

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** ISO-8601 without offset, microseconds, as the producer publishes it: "2024-12-12T10:15:23.123456". */
function isoMicros(ms: number, micros: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}${pad(micros, 3)}`
  );
}

/**
 * Row i of a stream of `total` events spread over DAYS days in time order, 0.2% of them late by
 * up to 10 minutes (so a batch at a day boundary touches two partitions). timestamp is the
 * producer's ISO string, date_ingestion the ingestor's `new Date()`, jour the event day.
 */
export function salesRow(i: number, total: number): Row {
  const spanMs = DAYS * 86_400_000;
  let ms = START_MS + Math.floor((i * spanMs) / total) + (hash(i, 1) % 1000);
  if (hash(i, 2) % 500 === 0) ms = Math.max(START_MS, ms - (hash(i, 3) % 600_000));
  const clientId = 1 + (hash(i, 4) % NUM_CLIENTS);
  const p = hash(i, 5) % PRODUCTS.length;
  const [produit, categorie, prix] = PRODUCTS[p];
  const quantite = 1 + (hash(i, 6) % 5);
  const partition = i % 3;
  return {
    vente_id: i + 1,
    client_id: clientId,
    produit_id: 101 + p,
    timestamp: isoMicros(ms, hash(i, 7) % 1000),
    quantite,
    montant: Math.round(quantite * prix * 100) / 100,
    client_nom: `${FIRST[clientId % FIRST.length]} ${LAST[(clientId >>> 4) % LAST.length]}`,
    produit_nom: produit,
    categorie,
    pays: COUNTRIES[clientId % COUNTRIES.length],
    segment: SEGMENTS[clientId % 7 === 0 ? 1 : 0],
    kafka_topic: TOPIC,
    kafka_partition: partition,
    kafka_offset: Math.floor(i / 3),
    date_ingestion: new Date(ms + 500 + (hash(i, 8) % 2500)),
    jour: new Date(ms).toISOString().slice(0, 10),
  };
}

export function salesBatch(start: number, count: number, total: number): Row[] {
  const rows = new Array<Row>(count);
  for (let k = 0; k < count; k++) rows[k] = salesRow(start + k, total);
  return rows;
}

/**
 * The same rows as salesBatch, laid out as a column batch, the way a columnar producer (an Arrow
 * record batch, the ingestor's decoder) hands them over: numbers and epoch micros/days in typed
 * arrays, strings as per-batch dictionaries.
 */
export function salesColumnBatch(start: number, count: number, total: number): ColumnBatch {
  const rows = salesBatch(start, count, total);
  const columns: Record<string, ColumnBatch['columns'][string]> = {};
  for (const name of Object.keys(rows[0])) {
    const first = rows[0][name];
    if (typeof first === 'string' && name !== 'timestamp' && name !== 'jour') {
      const dictionary = new Map<string, number>();
      const indices = new Int32Array(count);
      rows.forEach((r, i) => {
        const v = r[name] as string;
        let k = dictionary.get(v);
        if (k === undefined) dictionary.set(v, (k = dictionary.size));
        indices[i] = k;
      });
      columns[name] = { dictionary: [...dictionary.keys()], indices };
    } else if (name === 'jour') columns[name] = Int32Array.from(rows, (r) => toEpochDays(r.jour)!);
    else if (name === 'timestamp') columns[name] = Float64Array.from(rows, (r) => isoToSafeMicros(r.timestamp as string)!);
    else if (name === 'date_ingestion') columns[name] = Float64Array.from(rows, (r) => (r.date_ingestion as Date).getTime() * 1000);
    else if (name === 'client_id' || name === 'produit_id' || name === 'quantite' || name === 'kafka_partition') columns[name] = Int32Array.from(rows, (r) => r[name] as number);
    else columns[name] = Float64Array.from(rows, (r) => r[name] as number);
  }
  return { numRows: count, columns };
}

/**
 * An empty table of BRONZE_TABLE's schema and partitioning at `uri`. Its properties are the
 * library's defaults plus `more.configuration`, not bronze's own: the benchmarks measure the library.
 */
export function createBronzeTable(uri: string, more: Pick<CreateOptions, 'configuration' | 'store'> = {}): Promise<DeltaTable> {
  return DeltaTable.create(uri, { schema: BRONZE_TABLE.schema, partitionColumns: BRONZE_TABLE.partitionColumns, name: BRONZE_TABLE.name, ...more });
}

/** Appends the `total` rows of salesBatch (or salesColumnBatch, for `columns`) to `table`, `batch` rows a commit. */
export async function appendSales(table: DeltaTable, total: number, batch: number, input: 'rows' | 'columns' = 'rows'): Promise<void> {
  for (let start = 0; start < total; start += batch) {
    const count = Math.min(batch, total - start);
    await table.append(input === 'rows' ? { rows: salesBatch(start, count, total) } : { columns: salesColumnBatch(start, count, total) });
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers
// ---------------------------------------------------------------------------------------------

/** Samples process.memoryUsage().rss every `everyMs` and on demand; `peak` is the max seen. */
export class RssSampler {
  peak = process.memoryUsage().rss;
  private timer: NodeJS.Timeout;

  constructor(everyMs = 50) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): number {
    const rss = process.memoryUsage().rss;
    if (rss > this.peak) this.peak = rss;
    return rss;
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

export const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** CPU time (user + system, all threads of this process including DuckDB's) in ms. */
export const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Warns when other processes compete for the cores: wall-clock figures are then pessimistic. */
export function loadWarning(): string | undefined {
  const load = os.loadavg()[0];
  const cores = os.cpus().length;
  return load > cores * 0.75
    ? `WARNING: 1-min load average ${load.toFixed(2)} on ${cores} cores: other processes compete for CPU; timings are pessimistic.`
    : undefined;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const mib = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function tempDir(prefix: string): string {
  const base = process.env.BENCH_TMP ?? os.tmpdir();
  mkdirSync(base, { recursive: true });
  return mkdtempSync(path.join(base, prefix));
}

export function removeDir(dir: string): void {
  if (process.env.BENCH_KEEP === '1') {
    console.log(`(kept ${dir})`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Prints rows as an aligned text table. */
export function printTable(headers: string[], rows: Array<Array<string | number>>): void {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(line(headers));
  console.log('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const r of cells) console.log(line(r));
}

export function machineInfo(): Record<string, unknown> {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    // The machine may be shared: a load average above the core count means the figures are pessimistic.
    loadAverage1m: round(os.loadavg()[0], 2),
    // What libs/delta/src/parquet/duckdb.ts gives its shared instance: every core up to 4.
    duckdbThreads: Math.min(4, os.availableParallelism()),
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    duckdb: (require('@duckdb/node-api/package.json') as { version: string }).version,
  };
}

export function writeResult(name: string, result: Record<string, unknown>): string {
  const dir = path.resolve(__dirname, '../results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        benchmark: name,
        date: new Date().toISOString(),
        machine: machineInfo(),
        ...result,
      },
      null,
      2,
    ) + '\n',
  );
  return file;
}

// ---------------------------------------------------------------------------------------------
// One scenario per child process
// ---------------------------------------------------------------------------------------------

const RESULT_MARK = '@@BENCH_RESULT ';

/** In a child: hands the scenario's result back to the parent. */
export function reportToParent(result: unknown): void {
  process.stdout.write(`\n${RESULT_MARK}${JSON.stringify(result)}\n`);
}

export function isChild(): boolean {
  return process.argv.includes('--scenario');
}

export function scenarioArg(): string {
  return process.argv[process.argv.indexOf('--scenario') + 1];
}

/** Runs `file --scenario <name> ...args` in a fresh Node process (ts-node, transpile-only, tsconfig paths). */
export function runChild<T>(file: string, scenario: string, args: string[] = []): T {
  const res = spawnSync(
    process.execPath,
    ['--expose-gc', '-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', file, '--scenario', scenario, ...args],
    {
      cwd: path.resolve(__dirname, '../..'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
      env: process.env,
    },
  );
  const out = res.stdout ?? '';
  const marked = out.split('\n').find((l) => l.startsWith(RESULT_MARK));
  for (const l of out.split('\n')) if (l && !l.startsWith(RESULT_MARK)) console.log(`  [${scenario}] ${l}`);
  if (res.status !== 0 || !marked) throw new Error(`scenario ${scenario} failed (exit ${res.status}, signal ${res.signal})`);
  return JSON.parse(marked.slice(RESULT_MARK.length)) as T;
}

/** Entry point of a benchmark file: the parent runs `main`, which forks itself for each scenario (`child`). */
export function runBenchmark(main: () => unknown, child: () => Promise<unknown>): void {
  if (isChild()) {
    child().catch((e) => {
      console.error(e);
      process.exit(1);
    });
  } else {
    main();
  }
}
