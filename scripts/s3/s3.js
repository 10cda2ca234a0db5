#!/usr/bin/env node
/*
 * Local S3-compatible server (SeaweedFS, Apache-2.0) for development, tests and CI: no Docker.
 *
 *   node scripts/s3/s3.js build|start|stop|status|env
 *
 * `build` compiles SeaweedFS's `weed` at a pinned version with the Go toolchain through the Go
 * module proxy, once, into $GOPATH/bin/weed-<version> (kept across clones; `go install` refuses the module: its
 * go.mod has replace directives, so it is built inside the downloaded module). `start` runs
 * `weed server` (master, volume, filer and S3 gateway in one process), detached, with one
 * identity (access key and secret in <data dir>/s3.json), creates the bucket and waits until it
 * answers. `env` prints the AWS variables the apps need to use it.
 *
 * Environment (all optional):
 *   S3_PORT          S3 port, default 8333; master S3_PORT+1000, volume +1001, filer +1002
 *                    (their gRPC ports are those + 10000)
 *   S3_BUCKET        bucket created at start, default lakehouse
 *   S3_DATA_DIR      data dir, default <repo>/.cache/s3/data-<port>
 *   S3_CACHE_DIR     default <repo>/.cache/s3 (parent of the data dirs)
 *   S3_ACCESS_KEY, S3_SECRET_KEY   the identity, default lakehouse / lakehouse-secret
 *   WEED_BIN         a weed binary to use instead of building one
 */
'use strict';

const fs = require('fs');
const path = require('path');
const os = require('os');
const { spawn, spawnSync } = require('child_process');
const { isAlive, readPidFile, runCli, sleep, tcpProbe, terminate } = require('../local-service');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
// No tagged release of SeaweedFS is on the Go module proxy (its tags are not semver): a pseudo-version pins the commit.
const WEED_MODULE = 'github.com/seaweedfs/seaweedfs';
const WEED_VERSION = 'v0.0.0-20261109003541-7506e5f91cd6';
const START_TIMEOUT_MS = 90000;

function options(opts = {}) {
  const env = process.env;
  const port = Number(opts.port ?? env.S3_PORT ?? 8333);
  const cacheDir = path.resolve(opts.cacheDir ?? env.S3_CACHE_DIR ?? path.join(REPO_ROOT, '.cache', 's3'));
  const dataDir = path.resolve(opts.dataDir ?? env.S3_DATA_DIR ?? path.join(cacheDir, `data-${port}`));
  return {
    port,
    masterPort: port + 1000,
    volumePort: port + 1001,
    filerPort: port + 1002,
    host: '127.0.0.1',
    bucket: opts.bucket ?? env.S3_BUCKET ?? 'lakehouse',
    accessKey: env.S3_ACCESS_KEY ?? 'lakehouse',
    secretKey: env.S3_SECRET_KEY ?? 'lakehouse-secret',
    cacheDir,
    dataDir,
    weed: env.WEED_BIN || path.join(env.GOBIN || path.join(env.GOPATH || path.join(os.homedir(), 'go'), 'bin'), `weed-${WEED_VERSION}`),
    pidFile: path.join(dataDir, 'weed.pid'),
    logFile: path.join(dataDir, 'weed.log'),
    log: opts.quiet ? () => {} : (msg) => console.log(`[s3] ${msg}`),
  };
}


/** The AWS variables that point the apps (and the AWS SDK, and delta-rs) at this server. */
function clientEnv(opts) {
  const o = options(opts);
  return {
    AWS_ENDPOINT_URL_S3: `http://${o.host}:${o.port}`,
    AWS_S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: o.accessKey,
    AWS_SECRET_ACCESS_KEY: o.secretKey,
  };
}

/** Builds weed once (idempotent): `go mod download` of the pinned module, `go build` inside it. */
function build(opts) {
  const o = options(opts);
  if (fs.existsSync(o.weed)) return o.weed;
  const t0 = Date.now();
  o.log(`building SeaweedFS ${WEED_VERSION} with Go (first run only; several minutes)`);
  const dl = spawnSync('go', ['mod', 'download', '-json', `${WEED_MODULE}@${WEED_VERSION}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (dl.error || dl.status !== 0) throw new Error(`go mod download failed: ${dl.error ? dl.error.message : `exit ${dl.status}`}`);
  const moduleDir = JSON.parse(dl.stdout).Dir;
  fs.mkdirSync(path.dirname(o.weed), { recursive: true });
  const tmp = `${o.weed}.tmp-${process.pid}`;
  const r = spawnSync('go', ['build', '-o', tmp, './weed'], {
    cwd: moduleDir,
    stdio: 'inherit',
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  if (r.error || r.status !== 0) throw new Error(`go build of weed failed: ${r.error ? r.error.message : `exit ${r.status}`}`);
  fs.renameSync(tmp, o.weed);
  o.log(`built ${o.weed} in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
  return o.weed;
}

/** The pid of the running weed, or null. */
function readPid(o) {
  const pid = readPidFile(o.pidFile);
  return isAlive(pid) ? pid : null;
}

/** Creates the bucket (idempotent); true once the S3 gateway answers. */
async function ensureBucket(o) {
  const { S3Client, CreateBucketCommand, HeadBucketCommand } = require(require.resolve('@aws-sdk/client-s3', { paths: [REPO_ROOT] }));
  const env = clientEnv(o);
  const client = new S3Client({
    endpoint: env.AWS_ENDPOINT_URL_S3,
    forcePathStyle: true,
    region: env.AWS_REGION,
    credentials: { accessKeyId: o.accessKey, secretAccessKey: o.secretKey },
    maxAttempts: 1,
  });
  try {
    await client.send(new HeadBucketCommand({ Bucket: o.bucket }));
    return true;
  } catch {
    try {
      await client.send(new CreateBucketCommand({ Bucket: o.bucket }));
      return true;
    } catch (e) {
      return e.name === 'BucketAlreadyOwnedByYou' || e.name === 'BucketAlreadyExists';
    }
  } finally {
    client.destroy();
  }
}

/**
 * Runs `fn` holding <data dir>/start.lock, so that test files starting the server at once (jest
 * workers) launch one weed, not several fighting for its ports. A lock older than the start
 * timeout is left by a process that died: it is taken over.
 */
async function withStartLock(o, fn) {
  fs.mkdirSync(o.dataDir, { recursive: true });
  const lock = path.join(o.dataDir, 'start.lock');
  for (;;) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > START_TIMEOUT_MS) fs.rmSync(lock, { force: true });
      else await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

async function start(opts) {
  const o = options(opts);
  if (!readPid(o)) build(opts); // outside the lock: a first build takes minutes, and builds into a temp file
  await withStartLock(o, () => launch(o));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!((await tcpProbe(o.host, o.port)) && (await ensureBucket(o)))) {
    if (!readPid(o)) throw new Error(`weed exited during start-up; see ${o.logFile}`);
    if (Date.now() > deadline) throw new Error(`S3 on ${o.host}:${o.port} not ready after ${START_TIMEOUT_MS / 1000}s; see ${o.logFile}`);
    await sleep(300);
  }
  o.log(`ready: bucket ${o.bucket} on http://${o.host}:${o.port}`);
  return { endpoint: `http://${o.host}:${o.port}`, bucket: o.bucket, env: clientEnv(o) };
}

/** Launches weed unless it is running (called under the start lock). */
function launch(o) {
  if (readPid(o)) return;
  fs.mkdirSync(path.join(o.dataDir, 'data'), { recursive: true });
  const config = path.join(o.dataDir, 's3.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      identities: [
        {
          name: 'lakehouse',
          credentials: [{ accessKey: o.accessKey, secretKey: o.secretKey }],
          actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
        },
      ],
    }),
  );
  const out = fs.openSync(o.logFile, 'a');
  const args = [
    'server',
    `-dir=${path.join(o.dataDir, 'data')}`,
    `-ip=${o.host}`,
    `-ip.bind=${o.host}`,
    `-master.port=${o.masterPort}`,
    `-volume.port=${o.volumePort}`,
    `-filer.port=${o.filerPort}`,
    '-filer',
    '-s3',
    `-s3.port=${o.port}`,
    `-s3.config=${config}`,
    '-volume.max=0',
    '-master.volumeSizeLimitMB=64',
  ];
  const child = spawn(o.weed, args, { cwd: o.dataDir, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  fs.writeFileSync(o.pidFile, `${child.pid}\n`);
  child.unref();
  o.log(`started weed (pid ${child.pid}), S3 on http://${o.host}:${o.port}, log ${o.logFile}`);
}

/**
 * Whether tests can use the server without building anything: it is running, or its binary is
 * built and `start` can launch it. Synchronous, so that test files can decide which suites to declare.
 */
function availability(opts) {
  const o = options(opts);
  if (readPid(o)) return { available: true, running: true };
  if (fs.existsSync(o.weed)) return { available: true, running: false };
  return { available: false, running: false, reason: `no S3 server running on port ${o.port} and no weed binary at ${o.weed}` };
}

async function stop(opts) {
  const o = options(opts);
  const pid = readPid(o);
  if (!pid) {
    o.log('not running');
    return;
  }
  await terminate(pid, 20000, o.log);
  fs.rmSync(o.pidFile, { force: true });
  o.log(`stopped pid ${pid}`);
}

module.exports = { build, start, stop, availability, clientEnv, options, WEED_VERSION };

if (require.main === module) {
  runCli('s3', 'node scripts/s3/s3.js build|start|stop|status|env', {
    build: () => build(),
    start: () => start(),
    stop: () => stop(),
    status: async () => {
      const o = options();
      const pid = readPid(o);
      console.log(pid ? `running (pid ${pid}) on http://${o.host}:${o.port}` : 'not running');
      return pid ? 0 : 3;
    },
    env: async () => {
      for (const [k, v] of Object.entries(clientEnv())) console.log(`export ${k}=${v}`);
    },
  });
}
