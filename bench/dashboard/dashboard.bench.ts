/**
 * How fast the dashboard shows a year of data. Silver tables of 300 clients x 365 days (ending
 * today) are written to a temp lakehouse; the page is built (npm run build:dashboard) and the
 * gateway started as `npm run stack` starts it (ts-node, apps/analytics-gateway/src/main.ts, its
 * own process); headless Chromium (Debian's package, puppeteer-core) opens / at laptop size.
 *
 * Per load it reads, from the page's own performance timeline: first contentful paint,
 * `dashboard-figures` (the first headline figure shown) and `dashboard-ready` (every answer in
 * and every chart drawn), both marked by the page, plus the bytes of JS and CSS transferred. Three kinds of load, RUNS times each:
 *   - cold: a fresh browser context (empty HTTP cache) right after the gateway started, so the
 *     first run also pays for the gateway's first reads of the tables;
 *   - fresh context: an empty browser cache, the gateway's answers already cached;
 *   - reload: the same tab reloaded (assets from the browser cache).
 *
 *   npm run bench:dashboard
 *   env: BENCH_RUNS (default 5), BENCH_CLIENTS (default 300), BENCH_DAYS (default 365), CHROMIUM_PATH.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import puppeteer, { Browser, Page } from 'puppeteer-core';
import { addDays, syntheticClientDays, writeSilver } from '../../libs/analytics/test/silver-fixtures';
import { loadWarning, median, printTable, removeDir, tempDir, writeResult } from '../delta/common';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildDashboard } = require('../../apps/analytics-gateway/dashboard/build.js') as {
  buildDashboard: () => Promise<{ sizes: Record<string, { raw: number; gzip: number; brotli: number }>; js: string; css: string }>;
};

const ROOT = path.resolve(__dirname, '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 300);
const DAYS = Number(process.env.BENCH_DAYS ?? 365);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PORT = 3900 + Math.floor(Math.random() * 90);

interface Load {
  fcpMs: number;
  figuresMs: number;
  readyMs: number;
  jsCssTransferBytes: number;
}

async function startGateway(lakehouse: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      path.join(ROOT, 'apps', 'analytics-gateway', 'src', 'main.ts'),
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        LAKEHOUSE_ROOT: lakehouse,
        PORT: String(PORT),
        LOG_LEVEL: 'warn',
        TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode})`);
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/health`)).ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the gateway did not become healthy within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Loads (or reloads) the page and reads its timings once it is complete. */
async function measure(page: Page, reload: boolean): Promise<Load> {
  if (reload) await page.reload({ waitUntil: 'load' });
  else await page.goto(`http://127.0.0.1:${PORT}/`, { waitUntil: 'load' });
  await page.waitForFunction(`performance.getEntriesByName('dashboard-ready').length > 0`, { timeout: 60_000 });
  return page.evaluate(`(() => {
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    const ready = performance.getEntriesByName('dashboard-ready')[0];
    const figures = performance.getEntriesByName('dashboard-figures')[0];
    const assets = performance.getEntriesByType('resource').filter((r) => /\\.(js|css)$/.test(new URL(r.name).pathname));
    return { fcpMs: Math.round(fcp.startTime), figuresMs: Math.round(figures.startTime), readyMs: Math.round(ready.startTime), jsCssTransferBytes: assets.reduce((n, r) => n + r.transferSize, 0) };
  })()`) as Promise<Load>;
}

async function newPage(browser: Browser, fresh: boolean): Promise<Page> {
  const context = fresh ? await browser.createBrowserContext() : browser.defaultBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1366, height: 900 });
  return page;
}

function summary(loads: Load[]): Record<string, number> {
  return {
    runs: loads.length,
    fcpMsMedian: median(loads.map((l) => l.fcpMs)),
    fcpMsMax: Math.max(...loads.map((l) => l.fcpMs)),
    figuresMsMedian: median(loads.map((l) => l.figuresMs)),
    readyMsMedian: median(loads.map((l) => l.readyMs)),
    readyMsMax: Math.max(...loads.map((l) => l.readyMs)),
    jsCssTransferBytes: median(loads.map((l) => l.jsCssTransferBytes)),
  };
}

async function main(): Promise<void> {
  const warning = loadWarning();
  if (warning) console.log(warning);
  const lakehouse = tempDir('dashboard-bench-');
  let gateway: ChildProcess | undefined;
  let browser: Browser | undefined;
  try {
    const build = await buildDashboard();
    const firstDay = addDays(new Date().toISOString().slice(0, 10), 1 - DAYS);
    let t = Date.now();
    const rows = syntheticClientDays(CLIENTS, DAYS, firstDay);
    await writeSilver(lakehouse, rows);
    console.log(
      `silver tables: ${CLIENTS} clients x ${DAYS} days from ${firstDay} = ${rows.length} client-days, written in ${Date.now() - t} ms`,
    );

    t = Date.now();
    gateway = await startGateway(lakehouse);
    console.log(`gateway (ts-node, as npm run stack) healthy in ${Date.now() - t} ms`);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--lang=en-US', '--disable-dev-shm-usage'],
    });

    const cold: Load[] = [];
    const freshContext: Load[] = [];
    const reload: Load[] = [];
    for (let i = 0; i < RUNS; i++) {
      const page = await newPage(browser, true);
      (i === 0 ? cold : freshContext).push(await measure(page, false));
      reload.push(await measure(page, true));
      await page.browserContext().close();
    }
    const results = { cold: summary(cold), freshContext: summary(freshContext), reload: summary(reload) };
    printTable(
      [
        'load',
        'runs',
        'FCP median ms',
        'FCP max ms',
        'figures shown median ms',
        'charts drawn median ms',
        'charts drawn max ms',
        'JS+CSS transferred',
      ],
      Object.entries(results).map(([name, r]) => [
        name,
        r.runs,
        r.fcpMsMedian,
        r.fcpMsMax,
        r.figuresMsMedian,
        r.readyMsMedian,
        r.readyMsMax,
        `${(r.jsCssTransferBytes / 1024).toFixed(1)} KiB`,
      ]),
    );
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    const assets = Object.entries(build.sizes).filter(([name]) => /\.(js|css)$/.test(name));
    const total = (key: 'raw' | 'gzip' | 'brotli') => assets.reduce((n, [, size]) => n + size[key], 0);
    console.log(
      `page JS + CSS: ${kib(total('raw'))} (gzip ${kib(total('gzip'))}, brotli ${kib(total('brotli'))}); the page's own script ${kib(build.sizes[build.js].gzip)} gzip`,
    );
    const file = writeResult('dashboard', {
      dataset: { clients: CLIENTS, days: DAYS, clientDays: rows.length },
      viewport: '1366x900',
      assets: build.sizes,
      results,
      ...(warning ? { warning } : {}),
    });
    console.log(`results written to ${file}`);
  } finally {
    await browser?.close();
    gateway?.kill('SIGTERM');
    removeDir(lakehouse);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
