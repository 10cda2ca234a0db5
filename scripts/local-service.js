/*
 * What the scripts that run a local service detached (scripts/kafka/kafka.js, scripts/s3/s3.js)
 * share: waiting, a TCP readiness probe, whether a process lives, the pid a pid file names,
 * stopping a process, running the command a CLI names.
 * Node built-ins only.
 */
'use strict';

const fs = require('fs');
const net = require('net');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves to whether host:port accepts a TCP connection within timeoutMs. */
function tcpProbe(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return e.code === 'EPERM';
  }
  // A zombie (exited, not reaped yet) still answers kill(0).
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    /* not Linux, or gone */
  }
  return true;
}

/** The pid a pid file holds, or null (no file, or not a pid); whether it still runs is the caller's question. */
function readPidFile(file) {
  try {
    const pid = parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Sends `sig` to pid; a process already gone is no error. */
function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if (e.code !== 'ESRCH') throw e;
  }
}

/** SIGTERM, then SIGKILL if pid outlives graceMs; resolves once it is gone (or 10 s after the SIGKILL). */
async function terminate(pid, graceMs, log) {
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (!isAlive(pid)) return;
  log(`pid ${pid} still alive after ${graceMs / 1000}s, sending SIGKILL`);
  signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 10000;
  while (isAlive(pid) && Date.now() < killDeadline) await sleep(100);
}

/**
 * The CLI of a script: runs the command of `commands` the first argument names with the other
 * arguments; the exit code is the number the command resolves to (0 for anything else), 2 with
 * the usage for an unknown command, 1 with "[tag] message" for a failure.
 */
function runCli(tag, usage, commands) {
  const [name, ...args] = process.argv.slice(2);
  if (!Object.hasOwn(commands, name)) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  Promise.resolve()
    .then(() => commands[name](args))
    .then(
      (code) => process.exit(typeof code === 'number' ? code : 0),
      (err) => {
        console.error(`[${tag}] ${err && err.message ? err.message : err}`);
        process.exit(1);
      },
    );
}

module.exports = { sleep, tcpProbe, isAlive, readPidFile, terminate, runCli };
