/**
 * Analytics gateway latency under load, as deployed: every request presents an API key and
 * accepts compression, and rate limiting is on (its per-key limit raised above the load). Targets:
 * p99 <= 10 ms for cached answers (steady) and <= 100 ms for answers computed on first request
 * (cold). Silver tables of 200 clients x 90 days (~14,400 client-
 * days; one Parquet file per day) are written to a temp lakehouse in two silver runs (days 1-89,
 * then a full overwrite with day 90), so version 1 exists for time travel. The gateway runs in
 * this process on a random port, as main.ts builds it; autocannon runs in a worker thread (its
 * own event loop) with 50 connections for 10 s over a weighted mix of every endpoint, with
 * parameters drawn at random (200 clients, limits, months, countries, granularities, asOfVersion),
 * so the run sees both cache hits and the misses of ~600 distinct answers.
 *
 * Before the timed runs, one request per endpoint warms the gateway the way its first users
 * would (it copies the current version of each silver table into memory). Then a cold phase
 * (answers computed as they are first asked), a steady phase (all answers cached), and the
 * latency of first requests on a new version after each of 10 silver runs: see main().
 *
 *   npm run bench:gateway
 *   env: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (default 50), BENCH_TMP, BENCH_KEEP=1,
 *        PHASES (comma-separated, default all: cold,steady,steady-1-connection,new-version),
 *        BENCH_NEW_VERSION_RUNS (default 30),
 *        HTTP_FAST_PATH=false to measure the gateway's reference path,
 *        BENCH_CPU_PROFILE=<file.cpuprofile>: a CPU profile of the gateway's thread during the steady
 *        phase (open it in Chrome DevTools; autocannon's worker thread is not in it),
 *        BENCH_NV_PROFILE=<file.cpuprofile>: the same during the new-version measure,
 *        BENCH_ACCESS_LOG=true: the gateway's access log on stdout (each request's server-side duration),
 *        CACHE_WARM_ANSWERS: the gateway's setting (0 measures first requests with no answer warmed).
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { authOptions, hashApiKey, loadEnv } from '@app/common';
import { GATEWAY_ENV, GatewayConfig } from '../../apps/analytics-gateway/src/config';
import { AnalyticsGatewayModule } from '../../apps/analytics-gateway/src/gateway.module';
import { configureGateway, createGatewayAdapter, GATEWAY_APP_OPTIONS } from '../../apps/analytics-gateway/src/setup';
import { DeltaTable, Row } from '@app/delta';
import { CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { addDays, countryRows, segmentRows, syntheticClientDays, writeSilver } from '../../libs/analytics/test/silver-fixtures';
import { loadWarning, printTable, removeDir, tempDir, writeResult } from '../delta/common';

// autocannon ships no types; only the parts used here are declared.
interface AutocannonHistogram {
  average: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  total: number;
}
interface AutocannonResult {
  latency: AutocannonHistogram;
  requests: AutocannonHistogram & { mean: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  duration: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const CLIENTS = 200;
const DAYS = 90;
const FIRST_DAY = '2024-09-01';
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** p99 of cached answers (steady phase), and of answers computed on first request (cold phase). */
const TARGET_P99_MS = 10;
const COLD_TARGET_P99_MS = 100;
const ALL_PHASES = ['cold', 'steady', 'steady-1-connection', 'new-version'] as const;
type Phase = (typeof ALL_PHASES)[number];
const PHASES = (process.env.PHASES ?? ALL_PHASES.join(','))
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean) as Phase[];
for (const p of PHASES) if (!(ALL_PHASES as readonly string[]).includes(p)) throw new Error(`PHASES: unknown phase "${p}" (known: ${ALL_PHASES.join(', ')})`);
/** Seconds of load before the steady phases, not measured. */
const STEADY_WARM_UP_S = 3;
/** Requests drawn for the mix; each request of the run takes one of them at random. */
const MIX_SIZE = 5_000;

/** Deterministic draws, so every run sends the same mix. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const MONTHS = [
  ['2024-09-01', '2024-09-30'],
  ['2024-10-01', '2024-10-31'],
  ['2024-11-01', '2024-11-29'],
];
const COUNTRIES = ['France', 'Belgique', 'Suisse', 'Luxembourg', 'Canada', 'Maroc', 'Sénégal'];

/** Endpoint families with their share of the traffic and a draw of one request's path. */
function requestMix(): Array<{ name: string; weight: number; path: (r: () => number) => string }> {
  const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const maybe = (r: () => number, p: number, s: () => string): string => (r() < p ? s() : '');
  const range = (r: () => number) => {
    const [from, to] = pick(r, MONTHS);
    return `&from=${from}&to=${to}`;
  };
  return [
    { name: 'customer', weight: 20, path: (r) => `/analytics/customers/${1 + Math.floor(r() * CLIENTS)}` },
    {
      name: 'top-customers',
      weight: 15,
      path: (r) => `/analytics/top-customers?limit=${pick(r, [5, 10, 20, 50])}${maybe(r, 0.5, () => range(r))}${maybe(r, 0.3, () => `&pays=${encodeURIComponent(pick(r, COUNTRIES))}`)}`,
    },
    { name: 'revenue-by-country', weight: 10, path: (r) => `/analytics/revenue-by-country?${maybe(r, 0.5, () => range(r).slice(1))}` },
    { name: 'segments', weight: 10, path: () => '/analytics/segments' },
    { name: 'revenue-trends', weight: 15, path: (r) => `/analytics/revenue-trends?granularity=${pick(r, ['day', 'week', 'month'])}${maybe(r, 0.5, () => range(r))}` },
    { name: 'loyalty', weight: 10, path: (r) => `/analytics/loyalty?${maybe(r, 0.5, () => range(r).slice(1))}` },
    { name: 'freshness', weight: 10, path: () => '/analytics/freshness' },
    {
      name: 'time-travel',
      weight: 10,
      path: (r) => (r() < 0.5 ? `/analytics/top-customers?limit=10&asOfVersion=1` : `/analytics/customers/${1 + Math.floor(r() * CLIENTS)}?asOfVersion=1`),
    },
  ];
}

function drawRequests(): { paths: string[]; shares: Record<string, number>; distinct: number } {
  const r = rng(42);
  const mix = requestMix();
  const total = mix.reduce((n, m) => n + m.weight, 0);
  const paths: string[] = [];
  const shares: Record<string, number> = {};
  for (let i = 0; i < MIX_SIZE; i++) {
    let x = r() * total;
    const family = mix.find((m) => (x -= m.weight) < 0) ?? mix[mix.length - 1];
    paths.push(family.path(r));
    shares[family.name] = (shares[family.name] ?? 0) + 1;
  }
  return { paths, shares, distinct: new Set(paths).size };
}

async function buildLakehouse(root: string): Promise<{ rows: Row[] }> {
  const rows = syntheticClientDays(CLIENTS, DAYS, FIRST_DAY);
  const lastDay = addDays(FIRST_DAY, DAYS - 1);
  await writeSilver(root, rows.filter((r) => r.jour !== lastDay)); // version 1: the run of the day before
  await writeSilver(root, rows, 'overwrite'); // version 2: today's run
  return { rows };
}

/**
 * What an incremental silver run commits: the day it recomputed replaces its partition of
 * ventes_aggreges (amounts changed by `run`), and the two small all-time tables are rewritten.
 */
async function silverRun(root: string, rows: Row[], run: number): Promise<void> {
  const lastDay = addDays(FIRST_DAY, DAYS - 1);
  const day = rows.filter((r) => r.jour === lastDay).map((r) => ({ ...r, total_quantite: Number(r.total_quantite) + run }));
  await (await DeltaTable.open(tableLocation(root, CLIENT_AGGREGATES_TABLE))).overwrite({ rows: day }, { partitions: 'dynamic' });
  await (await DeltaTable.open(tableLocation(root, COUNTRY_AGGREGATES_TABLE))).overwrite({ rows: countryRows(rows) });
  await (await DeltaTable.open(tableLocation(root, SEGMENT_AGGREGATES_TABLE))).overwrite({ rows: segmentRows(rows) });
}

/** Silver runs of the new-version measure, each followed by one first request per endpoint family. */
const NEW_VERSION_RUNS = Number(process.env.BENCH_NEW_VERSION_RUNS ?? 30);

interface NewVersionResult {
  runs: number;
  requests: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** The slowest first request of each endpoint family. */
  maxMsByFamily: Record<string, number>;
}

/**
 * The issue's "cold version": latency of the first requests after a silver commit, which wait
 * for the look at the log, the new version's load and its changed files' copy into memory, then
 * compute their answer. After each of NEW_VERSION_RUNS silver runs (and the refresh interval),
 * one request per endpoint family is sent at once, as a dashboard opening would; none is cached.
 * The requests are sent from a worker thread (concurrent-requests.js), a client with its own event loop.
 */
async function newVersionPhase(url: string, root: string, rows: Row[], refreshMs: number): Promise<NewVersionResult> {
  const latencies: number[] = [];
  const maxMsByFamily: Record<string, number> = {};
  const r = rng(99);
  const client = new Worker(path.join(__dirname, 'concurrent-requests.js'));
  try {
    for (let run = 1; run <= NEW_VERSION_RUNS; run++) {
      await silverRun(root, rows, run);
      await new Promise((done) => setTimeout(done, refreshMs + 50));
      const families = requestMix();
      const answered = once(client, 'message');
      client.postMessage({ urls: families.map((f) => url + f.path(r)), headers: HEADERS });
      const [results] = (await answered) as [Array<{ ms: number; status: number; error?: string }>];
      results.forEach(({ ms, status, error }, i) => {
        if (status !== 200) throw new Error(`new version, ${families[i].name}: HTTP ${status} ${error ?? ''}`);
        latencies.push(ms);
        maxMsByFamily[families[i].name] = Math.max(maxMsByFamily[families[i].name] ?? 0, Math.round(ms * 10) / 10);
      });
    }
  } finally {
    await client.terminate();
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] * 10) / 10;
  return { runs: NEW_VERSION_RUNS, requests: latencies.length, latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) }, maxMsByFamily };
}

/** The API key the load presents (its hash is in the gateway's keys file). */
const BENCH_KEY = 'bench-analyst-key-0123456789abcdef';
/** Headers of every request: the key, and compression accepted (as browsers do). */
const HEADERS = { authorization: `Bearer ${BENCH_KEY}`, 'accept-encoding': 'gzip, deflate, br' };

async function startGateway(root: string): Promise<{ app: NestFastifyApplication; url: string; config: GatewayConfig }> {
  const keysFile = path.join(root, 'api-keys');
  writeFileSync(keysFile, `analyst:${hashApiKey(BENCH_KEY)}\n`);
  // As deployed (auth, rate limits, compression, security headers), with the per-key limit raised
  // above the load; the access log is off (a line per request would flood the console).
  const config = loadEnv(GATEWAY_ENV, {
    LAKEHOUSE_ROOT: root,
    LOG_LEVEL: 'error',
    API_KEYS_FILE: keysFile,
    RATE_LIMIT_PER_KEY: '100000000',
    ACCESS_LOG: process.env.BENCH_ACCESS_LOG ?? 'false',
    HTTP_FAST_PATH: process.env.HTTP_FAST_PATH,
    CACHE_WARM_ANSWERS: process.env.CACHE_WARM_ANSWERS,
  });
  const auth = authOptions(config);
  const app = await NestFactory.create<NestFastifyApplication>(AnalyticsGatewayModule.forRoot(config, auth), createGatewayAdapter(config), { ...GATEWAY_APP_OPTIONS, logger: false });
  await configureGateway(app, config, auth);
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, config };
}

async function cacheLookups(url: string): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = (result: string) =>
    [...text.matchAll(new RegExp(`^analytics_cache_lookups_total\\{[^}]*result="${result}"[^}]*\\} (\\d+)`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  return { hits: sum('hit'), misses: sum('miss') };
}

/** Clock ticks per second of /proc's CPU times. */
let clockTicks: number | undefined;

/**
 * CPU seconds used so far by this thread, the gateway's event loop (not autocannon's worker nor
 * DuckDB's threads), from /proc (Linux only: undefined elsewhere). Unlike latency, it hardly
 * moves with the machine's load: it is the CPU cost per request.
 */
function gatewayThreadCpuSeconds(): number | undefined {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks; // utime and stime
  } catch (e) {
    console.log(`gateway thread CPU time not measured: ${(e as Error).message}`);
    return undefined;
  }
}

interface PhaseResult {
  requests: number;
  /** CPU of the gateway's thread per request answered, in microseconds (Linux). */
  gatewayCpuUsPerRequest?: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  cache: { hits: number; misses: number };
}

/**
 * One autocannon run over the mix (random-request.js draws each request's path from the file
 * `mixFile`); cache hits and misses are read from the gateway's /metrics around it.
 */
async function loadPhase(url: string, mixFile: string, connections = CONNECTIONS, durationS = DURATION_S): Promise<PhaseResult> {
  process.env.GATEWAY_BENCH_MIX = mixFile;
  const before = await cacheLookups(url);
  const cpuBefore = gatewayThreadCpuSeconds();
  const result = await autocannon({
    url,
    connections,
    duration: durationS,
    workers: 1,
    headers: HEADERS,
    requests: [{ method: 'GET', setupRequest: path.join(__dirname, 'random-request.js') }],
  });
  const cpuAfter = gatewayThreadCpuSeconds();
  const after = await cacheLookups(url);
  const l = result.latency;
  return {
    requests: result.requests.total,
    gatewayCpuUsPerRequest: cpuBefore !== undefined && cpuAfter !== undefined ? Math.round(((cpuAfter - cpuBefore) * 1e6) / result.requests.total) : undefined,
    requestsPerSecond: Math.round(result.requests.mean),
    latencyMs: { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max, mean: Math.round(l.average * 100) / 100 },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    cache: { hits: after.hits - before.hits, misses: after.misses - before.misses },
  };
}

/** Runs `work` under the V8 CPU profiler of this thread (the gateway's) when a file is given, and writes the profile there. */
async function profiled<T>(file: string | undefined, work: () => Promise<T>): Promise<T> {
  if (!file) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    console.log(`CPU profile of the steady phase written to ${file}`);
    session.disconnect();
  }
}

/**
 * Three load phases on the same gateway, then the new-version measure:
 *   - cold: right after start-up, every distinct request is a cache miss the first time (as
 *     after each silver run), so misses queue on DuckDB while hits keep flowing;
 *   - steady: every answer of the mix is cached (one request per distinct path first, then
 *     STEADY_WARM_UP_S of load not measured), which is what the gateway serves between two
 *     silver runs. The p99 target applies to it;
 *   - steady-1-connection: the same with a single connection, i.e. the service time of one
 *     request without queueing (with N connections a request waits behind up to N-1 others);
 *   - new version (newVersionPhase): the first requests after a silver commit, no other load.
 *     The cold phase is a throughput test (50 connections, hundreds of misses queueing on DuckDB behind
 *     each other and the hits); this is the target's "cold version" as a user meets it.
 */
async function main(): Promise<void> {
  const warning = loadWarning();
  if (warning) console.log(warning);
  const root = tempDir('gateway-bench-');
  let app: NestFastifyApplication | undefined;
  try {
    let t = Date.now();
    const { rows } = await buildLakehouse(root);
    console.log(`silver tables: ${CLIENTS} clients x ${DAYS} days = ${rows.length} client-days, written in ${Date.now() - t} ms`);

    const gateway = await startGateway(root);
    app = gateway.app;
    const { paths, shares, distinct } = drawRequests();

    t = Date.now();
    for (const family of requestMix()) {
      const res = await fetch(gateway.url + family.path(rng(7)), { headers: HEADERS });
      if (res.status !== 200) throw new Error(`warm-up ${family.name}: HTTP ${res.status} ${await res.text()}`);
    }
    console.log(`start-up warm-up (one request per endpoint, copies the silver tables in memory): ${Date.now() - t} ms`);
    console.log(`autocannon: ${CONNECTIONS} connections, ${DURATION_S} s per phase, ${distinct} distinct requests in the mix`);

    const mixFile = path.join(root, 'mix.json');
    writeFileSync(mixFile, JSON.stringify(paths));
    const only = (phase: Phase) => PHASES.includes(phase);
    const phases: Partial<Record<Exclude<Phase, 'new-version'>, PhaseResult>> = {};
    if (only('cold')) phases.cold = await loadPhase(gateway.url, mixFile);
    if (only('steady') || only('steady-1-connection')) {
      for (const p of new Set(paths)) await (await fetch(gateway.url + p, { headers: HEADERS })).text();
      // Unmeasured: the code of the cached path is optimized by the JIT (as after the cold phase, when it runs).
      await loadPhase(gateway.url, mixFile, CONNECTIONS, STEADY_WARM_UP_S);
    }
    if (only('steady')) phases.steady = await profiled(process.env.BENCH_CPU_PROFILE, () => loadPhase(gateway.url, mixFile));
    if (only('steady-1-connection')) phases['steady-1-connection'] = await loadPhase(gateway.url, mixFile, 1);
    const newVersion = only('new-version') ? await profiled(process.env.BENCH_NV_PROFILE, () => newVersionPhase(gateway.url, root, rows, gateway.config.SNAPSHOT_REFRESH_INTERVAL)) : undefined;

    printTable(
      ['phase', 'requests', 'req/s', 'gateway CPU µs/req', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'cache hits', 'cache misses'],
      Object.entries(phases).map(([phase, r]) => [
        phase,
        r.requests,
        r.requestsPerSecond,
        r.gatewayCpuUsPerRequest ?? 'n/a',
        r.latencyMs.p50,
        r.latencyMs.p90,
        r.latencyMs.p99,
        r.latencyMs.max,
        r.non2xx,
        r.errors + r.timeouts,
        r.cache.hits,
        r.cache.misses,
      ]),
    );
    const target: Record<string, number | boolean> = {};
    const judge = (name: string, key: string, p99: number, targetMs: number) => {
      const meets = p99 <= targetMs;
      console.log(`${name} p99 ${p99} ms: ${meets ? 'meets' : 'MISSES'} the ${targetMs} ms target`);
      target[key] = meets;
    };
    if (phases.steady) judge('steady (cached)', 'meetsTarget', phases.steady.latencyMs.p99, TARGET_P99_MS);
    if (phases.cold) judge('cold', 'coldMeetsTarget', phases.cold.latencyMs.p99, COLD_TARGET_P99_MS);
    if (newVersion) {
      const nv = newVersion.latencyMs;
      console.log(
        `new version (first request per endpoint after each of ${newVersion.runs} silver runs, ${newVersion.requests} requests): p50 ${nv.p50} ms, p90 ${nv.p90} ms, p99 ${nv.p99} ms, max ${nv.max} ms`,
      );
      console.log(`  slowest by endpoint: ${Object.entries(newVersion.maxMsByFamily).map(([f, ms]) => `${f} ${ms} ms`).join(', ')}`);
      judge('new version', 'newVersionMeetsTarget', nv.p99, COLD_TARGET_P99_MS);
    }

    const file = writeResult('gateway', {
      dataset: { clients: CLIENTS, days: DAYS, clientDays: rows.length, silverVersions: 2 },
      load: { connections: CONNECTIONS, phases: PHASES, durationSecondsPerPhase: DURATION_S, distinctRequests: distinct, mixShares: shares, autocannonWorkers: 1 },
      results: { cold: phases.cold, steady: phases.steady, steadySingleConnection: phases['steady-1-connection'], newVersion },
      settings: { auth: 'API key (Bearer)', rateLimitPerKey: 100_000_000, compression: HEADERS['accept-encoding'], accessLog: false, httpFastPath: gateway.config.HTTP_FAST_PATH, cacheWarmAnswers: gateway.config.CACHE_WARM_ANSWERS },
      target: { steadyP99Ms: TARGET_P99_MS, coldP99Ms: COLD_TARGET_P99_MS, ...target },
      ...(warning ? { warning } : {}),
    });
    console.log(`results written to ${file}`);
  } finally {
    await app?.close();
    removeDir(root);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
