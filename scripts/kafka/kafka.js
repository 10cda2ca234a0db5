#!/usr/bin/env node
/*
 * Local Apache Kafka (KRaft, single node) for development, tests and CI — no Docker.
 *
 *   node scripts/kafka/kafka.js start|stop|restart|status|wait|fetch
 *   KAFKA_SECURE=1 node scripts/kafka/kafka.js grant <topic> <group>   (ACLs, secured broker)
 *
 * Needs only Java 17+, Maven (Maven Central) and Node. The broker jars are resolved once by
 * Maven from scripts/kafka/pom.xml into <cache>/<kafka.version>/lib; the broker then runs as
 * `java -cp <lib>/* kafka.Kafka server.properties`, detached, logging to <data dir>/kafka.log.
 *
 * Environment (all optional):
 *   KAFKA_PORT              client port (PLAINTEXT, or SASL_SSL when secured), default 9092
 *   KAFKA_SECURE            "1": the secured broker of secure.js (SASL_SSL, mutual TLS, ACLs;
 *                           ports KAFKA_PORT..KAFKA_PORT+3), its secrets in <data dir>/secrets
 *   KAFKA_CONTROLLER_PORT   KRaft controller port, default KAFKA_PORT + 1 (9093)
 *   KAFKA_DATA_DIR          data dir, default <repo>/.cache/kafka/data-<port>
 *   KAFKA_CACHE_DIR         jar cache root, default <repo>/.cache/kafka (jars in <root>/<version>/lib)
 *   KAFKA_HEAP_OPTS         JVM heap flags, default "-Xms256m -Xmx512m"
 *   KAFKA_OPTS              extra JVM flags
 *   KAFKA_START_TIMEOUT_MS  readiness timeout for start/wait, default 90000
 *   KAFKA_READY_CHECK       "auto" (kafkajs listTopics if kafkajs resolves, else TCP) or "tcp"
 *   JAVA_HOME, KAFKA_MVN    java / mvn to use (default: $JAVA_HOME/bin/java or java; mvn)
 *
 * Also usable as a module: const { start, stop, isReady, waitReady, status } = require(...).
 * Dependency free (Node built-ins only); kafkajs is required lazily for the readiness probe.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { spawn, spawnSync } = require('child_process');
const { isAlive, readPidFile, runCli, sleep, tcpProbe, terminate } = require('../local-service');
const secure = require('./secure');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const POM = path.join(__dirname, 'pom.xml');
const BROKER_MAIN = 'kafka.Kafka';
// 4.x keeps `kafka-storage` in the core (Scala) jar; the Java one is tried as a fallback.
const STORAGE_TOOL_MAINS = ['kafka.tools.StorageTool', 'org.apache.kafka.tools.StorageTool'];
const STOP_TIMEOUT_MS = 30000;
const LOG_ROTATE_BYTES = 20 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// options / paths

function kafkaVersion() {
  const m = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(fs.readFileSync(POM, 'utf8'));
  if (!m) throw new Error(`no <kafka.version> in ${POM}`);
  return m[1];
}

function toInt(v, name) {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`invalid ${name}: ${v}`);
  return n;
}

function resolveOptions(opts = {}) {
  if (opts && opts.__resolved) return opts;
  const env = process.env;
  const port = toInt(opts.port ?? env.KAFKA_PORT ?? 9092, 'port');
  const controllerPort = toInt(
    opts.controllerPort ?? env.KAFKA_CONTROLLER_PORT ?? port + 1,
    'controller port',
  );
  if (controllerPort === port) throw new Error('KAFKA_CONTROLLER_PORT must differ from KAFKA_PORT');
  const host = opts.host ?? '127.0.0.1';
  const version = kafkaVersion();
  const cacheRoot = path.resolve(opts.cacheDir ?? env.KAFKA_CACHE_DIR ?? path.join(REPO_ROOT, '.cache', 'kafka'));
  const dataDir = path.resolve(
    opts.dataDir ?? env.KAFKA_DATA_DIR ?? path.join(REPO_ROOT, '.cache', 'kafka', `data-${port}`),
  );
  const quiet = !!opts.quiet;
  const secured = !!(opts.secure ?? env.KAFKA_SECURE === '1');
  return {
    __resolved: true,
    port,
    controllerPort,
    host,
    brokers: `${host}:${port}`,
    secure: secured,
    // Readiness and administration go through the loopback PLAINTEXT listener of a secured broker.
    adminBrokers: secured ? `${host}:${port + 3}` : `${host}:${port}`,
    version,
    cacheRoot,
    libDir: path.join(cacheRoot, version, 'lib'),
    dataDir,
    logDirs: path.join(dataDir, 'kraft-logs'),
    propsFile: path.join(dataDir, 'server.properties'),
    log4jFile: path.join(dataDir, 'log4j2.properties'),
    logFile: path.join(dataDir, 'kafka.log'),
    pidFile: path.join(dataDir, 'kafka.pid'),
    lockDir: path.join(dataDir, '.lock'),
    timeoutMs: Number(opts.timeoutMs ?? env.KAFKA_START_TIMEOUT_MS ?? 90000),
    heapOpts: (opts.heapOpts ?? env.KAFKA_HEAP_OPTS ?? '-Xms256m -Xmx512m').split(/\s+/).filter(Boolean),
    extraJvmOpts: (opts.jvmOpts ?? env.KAFKA_OPTS ?? '').split(/\s+/).filter(Boolean),
    readiness: opts.readiness ?? env.KAFKA_READY_CHECK ?? 'auto',
    properties: opts.properties ?? {},
    log: quiet ? () => {} : opts.log ?? ((msg) => console.log(`[kafka] ${msg}`)),
  };
}

// ---------------------------------------------------------------------------------------------
// small helpers

function tail(file, lines = 50) {
  try {
    const buf = fs.readFileSync(file, 'utf8');
    return buf.split('\n').slice(-lines - 1).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

function cmdlineOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return null;
  }
}

/** Is pid a broker started from this data dir? (Without /proc, trust the pid file.) */
function isOurBroker(pid, o) {
  if (!isAlive(pid)) return false;
  const argv = cmdlineOf(pid);
  if (!argv) return process.platform !== 'linux';
  return argv.includes(BROKER_MAIN) && argv.includes(o.propsFile);
}

/** pid of the broker running from this data dir: the pid file, else a /proc scan (Linux). */
function findBrokerPid(o) {
  const pid = readPidFile(o.pidFile);
  if (pid && isOurBroker(pid, o)) return pid;
  if (process.platform !== 'linux') return null;
  let entries = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const p = Number(e);
    const argv = cmdlineOf(p);
    if (argv && argv.includes(BROKER_MAIN) && argv.includes(o.propsFile) && isAlive(p)) return p;
  }
  return null;
}

/** Serialises start/stop on one data dir across processes (e.g. parallel jest workers). */
async function withLock(o, fn) {
  fs.mkdirSync(o.dataDir, { recursive: true });
  const owner = path.join(o.lockDir, 'owner');
  const deadline = Date.now() + o.timeoutMs + STOP_TIMEOUT_MS;
  for (;;) {
    try {
      fs.mkdirSync(o.lockDir);
      fs.writeFileSync(owner, String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let holder = null;
      try {
        holder = parseInt(fs.readFileSync(owner, 'utf8'), 10);
      } catch {
        /* being written or removed */
      }
      let stale = holder ? !isAlive(holder) : false;
      if (!holder) {
        try {
          stale = Date.now() - fs.statSync(o.lockDir).mtimeMs > 10000;
        } catch {
          continue; // just released
        }
      }
      if (stale) {
        fs.rmSync(o.lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${o.lockDir} (held by pid ${holder})`);
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(o.lockDir, { recursive: true, force: true });
  }
}

function javaBin() {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

function checkJava() {
  const r = spawnSync(javaBin(), ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw new Error(`cannot run java (${javaBin()}): ${r.error.message}. Kafka 4.x needs Java 17+.`);
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr + r.stdout);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : 0;
  if (major && major < 17) throw new Error(`Kafka 4.x needs Java 17+, found Java ${major} (${javaBin()})`);
}

// ---------------------------------------------------------------------------------------------
// jars

function pomHash() {
  return crypto.createHash('sha256').update(fs.readFileSync(POM)).digest('hex').slice(0, 16);
}

/** Resolve the broker jars into <cache>/<version>/lib with Maven, once (keyed by pom.xml's hash). */
function fetchJars(opts) {
  const o = resolveOptions(opts);
  const marker = path.join(o.libDir, '.complete');
  const want = pomHash();
  try {
    if (fs.readFileSync(marker, 'utf8').trim() === want) return o.libDir;
  } catch {
    /* not fetched yet */
  }
  fs.mkdirSync(path.dirname(o.libDir), { recursive: true });
  const tmp = `${o.libDir}.tmp-${process.pid}-${Date.now()}`;
  const mvn = process.env.KAFKA_MVN || 'mvn';
  const args = [
    '-B',
    '-q',
    '-f',
    POM,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${tmp}`,
  ];
  o.log(`fetching Kafka ${o.version} jars with Maven into ${o.libDir} (first run only)`);
  const t0 = Date.now();
  const r = spawnSync(mvn, args, {
    cwd: __dirname,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    shell: process.platform === 'win32',
    env: { ...process.env, MAVEN_OPTS: process.env.MAVEN_OPTS || '-Xmx512m' },
  });
  if (r.error || r.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const why = r.error ? r.error.message : `exit ${r.status}`;
    throw new Error(`${mvn} ${args.join(' ')} failed (${why})\n${r.stdout || ''}${r.stderr || ''}`);
  }
  if (!fs.existsSync(path.join(tmp, `kafka_2.13-${o.version}.jar`))) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`Maven finished but kafka_2.13-${o.version}.jar is missing in ${tmp}`);
  }
  fs.writeFileSync(path.join(tmp, '.complete'), `${want}\n`);
  // Swap in atomically; another process may have won the race meanwhile.
  try {
    if (fs.existsSync(o.libDir)) {
      let current = '';
      try {
        current = fs.readFileSync(marker, 'utf8').trim();
      } catch {
        /* stale or partial */
      }
      if (current === want) {
        fs.rmSync(tmp, { recursive: true, force: true });
        return o.libDir;
      }
      fs.rmSync(o.libDir, { recursive: true, force: true });
    }
    fs.renameSync(tmp, o.libDir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(marker)) throw e;
  }
  o.log(`jars ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return o.libDir;
}

// ---------------------------------------------------------------------------------------------
// config + storage

function serverProperties(o) {
  const props = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    // Static single-voter quorum: plain `kafka-storage format -t <id> -c <props>` works
    // (no --standalone / --initial-controllers needed) and ports may change between runs.
    'controller.quorum.voters': `1@${o.host}:${o.controllerPort}`,
    listeners: `PLAINTEXT://${o.host}:${o.port},CONTROLLER://${o.host}:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${o.host}:${o.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': o.logDirs.split(path.sep).join('/'),
    'num.partitions': '3',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'auto.create.topics.enable': 'true',
    'delete.topic.enable': 'true',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '10',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    // after a crash (SIGKILL) the restarted broker cannot register until its old session
    // expires: keep that short (defaults 9000 / 2000 ms)
    'broker.session.timeout.ms': '6000',
    'broker.heartbeat.interval.ms': '1000',
    // sized for a small dev/CI machine
    'num.network.threads': '2',
    'num.io.threads': '4',
    'num.recovery.threads.per.data.dir': '1',
    'log.cleaner.dedupe.buffer.size': String(16 * 1024 * 1024),
    'log.retention.hours': '168',
    ...(o.secure ? secure.secureProperties(o) : {}),
    ...o.properties,
  };
  const body = Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  return `# Written by scripts/kafka/kafka.js on every start; edits are overwritten.\n${body}\n`;
}

function log4jProperties() {
  // Console appender: the broker's stdout/stderr are redirected to <data dir>/kafka.log.
  return [
    '# Written by scripts/kafka/kafka.js',
    'status = warn',
    'name = kafka-dev',
    'appender.out.type = Console',
    'appender.out.name = OUT',
    'appender.out.layout.type = PatternLayout',
    'appender.out.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.out.ref = OUT',
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.authorizer.name = kafka.authorizer.logger',
    'logger.authorizer.level = WARN',
    '',
  ].join('\n');
}

function writeConfig(o) {
  fs.mkdirSync(o.dataDir, { recursive: true });
  fs.writeFileSync(o.propsFile, serverProperties(o));
  fs.writeFileSync(o.log4jFile, log4jProperties());
}

/** Kafka cluster id: 16 random bytes, URL-safe base64 without padding, not starting with '-'. */
function randomClusterId() {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function jvmBaseArgs(o) {
  return [`-Dlog4j2.configurationFile=${o.log4jFile}`, '-Djava.awt.headless=true', '-cp', path.join(o.libDir, '*')];
}

/** Format the KRaft storage once (skipped when meta.properties exists). Returns the cluster id or null. */
function formatStorage(o) {
  if (fs.existsSync(path.join(o.logDirs, 'meta.properties'))) return null;
  const clusterId = randomClusterId();
  let last = null;
  for (const main of STORAGE_TOOL_MAINS) {
    const scram = o.secure ? secure.scramFormatArgs(o) : [];
    const args = ['-Xmx256m', ...jvmBaseArgs(o), main, 'format', '-t', clusterId, '-c', o.propsFile, ...scram];
    const r = spawnSync(javaBin(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: o.dataDir });
    const out = `${r.stdout || ''}${r.stderr || ''}`;
    if (r.status === 0) {
      o.log(`formatted ${o.logDirs} (cluster id ${clusterId})`);
      return clusterId;
    }
    last = new Error(`storage format failed (${main}, exit ${r.status}):\n${out}`);
    if (!/Could not find or load main class|ClassNotFoundException/.test(out)) break;
  }
  throw last;
}

// ---------------------------------------------------------------------------------------------
// readiness

let kafkajsModule;
function loadKafkajs() {
  if (kafkajsModule === undefined) {
    try {
      kafkajsModule = require(require.resolve('kafkajs', { paths: [process.cwd(), REPO_ROOT] }));
    } catch {
      kafkajsModule = null;
    }
  }
  return kafkajsModule;
}

/** TCP connect to the client port succeeds AND (when kafkajs resolves) an admin listTopics() works. */
async function isReady(opts) {
  const o = resolveOptions(opts);
  if (!(await tcpProbe(o.host, o.port))) return false;
  const kjs = o.readiness === 'tcp' ? null : loadKafkajs();
  if (!kjs) return true;
  const kafka = new kjs.Kafka({
    clientId: 'kafka-dev-readiness',
    brokers: [o.adminBrokers],
    logLevel: kjs.logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

class KafkaStartError extends Error {}

/** Poll isReady until true; throws KafkaStartError (with log tail) on timeout or if `child` exits. */
async function waitReady(opts, child) {
  const o = resolveOptions(opts);
  const deadline = Date.now() + o.timeoutMs;
  let exited = null;
  const onExit = (code, signal) => {
    exited = { code, signal };
  };
  if (child) child.once('exit', onExit);
  try {
    for (;;) {
      if (await isReady(o)) return true;
      if (exited) {
        throw new KafkaStartError(
          `broker exited during startup (code ${exited.code}, signal ${exited.signal}); last lines of ${o.logFile}:\n${tail(o.logFile)}`,
        );
      }
      if (Date.now() > deadline) {
        throw new KafkaStartError(
          `broker on ${o.brokers} not ready after ${o.timeoutMs / 1000}s; last lines of ${o.logFile}:\n${tail(o.logFile)}`,
        );
      }
      await sleep(300);
    }
  } finally {
    if (child) child.removeListener('exit', onExit);
  }
}

// ---------------------------------------------------------------------------------------------
// start / stop / status

function rotateLog(o) {
  try {
    if (fs.statSync(o.logFile).size > LOG_ROTATE_BYTES) fs.renameSync(o.logFile, `${o.logFile}.1`);
  } catch {
    /* no log yet */
  }
}

/**
 * Start the broker if it is not running (idempotent) and wait until it is ready.
 * Resolves { brokers, port, dataDir, pid, alreadyRunning, startMs }.
 */
async function start(opts) {
  const o = resolveOptions(opts);
  const t0 = Date.now();
  return withLock(o, async () => {
    const existing = findBrokerPid(o);
    if (existing || (await tcpProbe(o.host, o.port))) {
      o.log(
        existing
          ? `broker already running (pid ${existing}) on ${o.brokers}`
          : `something already answers on ${o.brokers}; using it`,
      );
      await waitReady(o);
      return { brokers: o.brokers, port: o.port, dataDir: o.dataDir, pid: existing, alreadyRunning: true, startMs: 0 };
    }
    try {
      fs.rmSync(o.pidFile, { force: true });
    } catch {
      /* ignore */
    }
    checkJava();
    fetchJars(o);
    if (o.secure) secure.ensureSecrets(o);
    writeConfig(o);
    formatStorage(o);
    rotateLog(o);

    const out = fs.openSync(o.logFile, 'a');
    fs.writeSync(out, `\n===== kafka.js start ${new Date().toISOString()} port ${o.port} =====\n`);
    const args = [
      ...o.heapOpts,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      `-Dkafka.logs.dir=${o.dataDir}`,
      ...o.extraJvmOpts,
      ...jvmBaseArgs(o),
      BROKER_MAIN,
      o.propsFile,
    ];
    const child = spawn(javaBin(), args, { cwd: o.dataDir, detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    if (!child.pid) throw new KafkaStartError(`failed to spawn ${javaBin()}`);
    fs.writeFileSync(o.pidFile, `${child.pid}\n`);
    o.log(`started Kafka ${o.version} (pid ${child.pid}) on ${o.brokers}, log ${o.logFile}`);
    try {
      await waitReady(o, child);
    } catch (e) {
      // Do not leave a half-started broker behind holding the port and data dir.
      await killBroker(o, child.pid);
      throw e;
    } finally {
      child.unref();
    }
    const startMs = Date.now() - t0;
    if (o.secure) o.log(`secured: SASL_SSL on ${o.brokers}, mutual TLS on ${o.host}:${o.port + 2}, secrets in ${secure.secretsDir(o)}`);
    o.log(`ready on ${o.brokers} in ${(startMs / 1000).toFixed(1)}s`);
    return { brokers: o.brokers, port: o.port, dataDir: o.dataDir, pid: child.pid, alreadyRunning: false, startMs };
  });
}

async function killBroker(o, pid) {
  await terminate(pid, STOP_TIMEOUT_MS, o.log);
  fs.rmSync(o.pidFile, { force: true });
}

/** Stop the broker of this data dir (SIGTERM, SIGKILL after 30 s). Resolves { stopped }. */
async function stop(opts) {
  const o = resolveOptions(opts);
  return withLock(o, async () => {
    const pid = findBrokerPid(o);
    if (!pid) {
      fs.rmSync(o.pidFile, { force: true });
      o.log(`not running (${o.dataDir})`);
      return { stopped: false };
    }
    const t0 = Date.now();
    await killBroker(o, pid);
    // The client port can linger for a moment after exit; wait so a restart can bind it.
    const portDeadline = Date.now() + 5000;
    while ((await tcpProbe(o.host, o.port, 300)) && Date.now() < portDeadline) await sleep(100);
    o.log(`stopped pid ${pid} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    return { stopped: true, pid };
  });
}

/** ACLs of the secured broker for one topic and group (creates the topic if missing). */
async function grant(opts, access) {
  const o = resolveOptions(opts);
  if (!o.secure) throw new Error('grant needs the secured broker (KAFKA_SECURE=1)');
  const kjs = loadKafkajs();
  if (!kjs) throw new Error('grant needs kafkajs (npm ci)');
  await secure.grant(o, kjs, access);
  o.log(`ACLs: producer writes ${access.topic}, ingestor reads it with group ${access.group}`);
}

async function restart(opts) {
  await stop(opts);
  return start(opts);
}

/** { running, pid, ready, brokers, dataDir } */
async function status(opts) {
  const o = resolveOptions(opts);
  const pid = findBrokerPid(o);
  const ready = await isReady(o);
  return { running: !!pid, pid, ready, brokers: o.brokers, dataDir: o.dataDir };
}

module.exports = {
  start,
  stop,
  restart,
  status,
  isReady,
  waitReady,
  fetchJars,
  resolveOptions,
  grant,
  secretsDir: (opts) => secure.secretsDir(resolveOptions(opts)),
  KafkaStartError,
};

// ---------------------------------------------------------------------------------------------
// CLI

if (require.main === module) {
  runCli('kafka', 'node scripts/kafka/kafka.js start|stop|restart|status|wait|fetch|grant', {
    start: () => start(),
    stop: () => stop(),
    restart: () => restart(),
    wait: async () => {
      const o = resolveOptions();
      await waitReady(o);
      console.log(`[kafka] ready on ${o.brokers}`);
    },
    status: async () => {
      const s = await status();
      if (s.running) console.log(`running (pid ${s.pid}) on ${s.brokers}, ${s.ready ? 'ready' : 'not ready'}; data ${s.dataDir}`);
      else if (s.ready) console.log(`not running from ${s.dataDir}, but a broker answers on ${s.brokers}`);
      else console.log(`not running (${s.brokers}, data ${s.dataDir})`);
      return s.running || s.ready ? 0 : 3;
    },
    fetch: () => fetchJars(),
    grant: async (args) => {
      if (args.length !== 2) {
        console.error('usage: KAFKA_SECURE=1 node scripts/kafka/kafka.js grant <topic> <group>');
        return 2;
      }
      await grant(undefined, { topic: args[0], group: args[1] });
    },
  });
}
