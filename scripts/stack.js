#!/usr/bin/env node
/*
 * One command for the whole pipeline on a laptop: the local Kafka broker, then the four apps,
 * logs prefixed by app, URLs printed, and everything stopped cleanly on Ctrl-C.
 *
 *   npm run stack            (LAKEHOUSE_ROOT defaults to ./.data/lakehouse)
 *
 * Any app variable (PRODUCER_RATE, SILVER_CRON, ...) can be set in the environment.
 *
 * A development API key (all roles) is made on the first run, kept in .data/dev-api-key (its hash
 * in .data/api-keys, the API_KEYS_FILE the apps read) and printed with the URLs.
 */
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const kafka = require('./kafka/kafka.js');

const ROOT = path.resolve(__dirname, '..');
const APPS = [
  { name: 'bronze-ingestor', port: 3001, urls: ['/progress', '/metrics', '/health'] },
  { name: 'silver-scheduler', port: 3002, urls: ['/silver/runs', '/metrics', '/health'] },
  { name: 'analytics-gateway', port: 3000, urls: ['/docs', '/analytics/top-customers', '/metrics'] },
  { name: 'producer', port: 3003, urls: ['/producer/stats', '/metrics', '/health'] },
];
const COLORS = [36, 33, 35, 32];

/** The development key: made once, then reused so a browser or script keeps working across restarts. */
function developmentKey() {
  const dir = path.join(ROOT, '.data');
  const keyFile = path.join(dir, 'dev-api-key');
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, `dev-${crypto.randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  const key = fs.readFileSync(keyFile, 'utf8').trim();
  const keysFile = path.join(dir, 'api-keys');
  const hash = crypto.createHash('sha256').update(key, 'utf8').digest('hex');
  fs.writeFileSync(keysFile, `# Made by npm run stack from .data/dev-api-key\nanalyst,operator,metrics:${hash}\n`, { mode: 0o600 });
  return { key, keysFile };
}

const devKey = process.env.API_KEYS_FILE ? undefined : developmentKey();

const env = {
  ...process.env,
  ...(devKey ? { API_KEYS_FILE: devKey.keysFile } : {}),
  LAKEHOUSE_ROOT: process.env.LAKEHOUSE_ROOT || path.join(ROOT, '.data', 'lakehouse'),
  KAFKA_BROKERS: process.env.KAFKA_BROKERS || '127.0.0.1:9092',
  TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
};

const children = [];
let stopping = false;

function prefixLines(name, color, stream, out) {
  let rest = '';
  stream.on('data', (chunk) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop();
    for (const line of lines) out.write(`\x1b[${color}m${name.padEnd(18)}|\x1b[0m ${line}\n`);
  });
}

function startApp(app, i) {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', path.join(ROOT, 'apps', app.name, 'src', 'main.ts')],
    { cwd: ROOT, env: { ...env, PORT: String(process.env[`${app.name.toUpperCase().replace(/-/g, '_')}_PORT`] || app.port) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prefixLines(app.name, COLORS[i], child.stdout, process.stdout);
  prefixLines(app.name, COLORS[i], child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    process.stdout.write(`${app.name} exited (${signal || code})\n`);
    if (!stopping) shutdown(1);
  });
  children.push(child);
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping the apps (they flush what they hold), then the broker...\n');
  await Promise.all(
    children.map((c) => new Promise((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      const timer = setTimeout(() => c.kill('SIGKILL'), 30000);
      c.on('exit', () => { clearTimeout(timer); resolve(); });
      c.kill('SIGTERM');
    })),
  );
  if (!process.env.KAFKA_BROKERS) await kafka.stop({}).catch(() => undefined);
  process.exit(code);
}

(async () => {
  if (!process.env.KAFKA_BROKERS) await kafka.start({});
  APPS.forEach(startApp);
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  setTimeout(() => {
    process.stdout.write('\nLakehouse stack running. Ctrl-C stops it.\n');
    for (const app of APPS) process.stdout.write(`  ${app.name.padEnd(18)} ${app.urls.map((u) => `http://localhost:${app.port}${u}`).join('  ')}\n`);
    process.stdout.write(`  Delta tables under ${env.LAKEHOUSE_ROOT}\n`);
    if (devKey) {
      process.stdout.write(`\n  Development API key (analyst, operator, metrics): ${devKey.key}\n`);
      process.stdout.write(`    curl -H 'Authorization: Bearer ${devKey.key}' http://localhost:3000/analytics/top-customers\n`);
      process.stdout.write('    In Swagger UI (/docs): Authorize, then paste it.\n');
    }
    process.stdout.write('\n');
  }, 8000);
})().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  shutdown(1);
});
