#!/usr/bin/env node
/*
 * The deployment-validation toolchain, installed on demand and cached under .cache/deploy-tools/:
 *
 *   node scripts/deploy/tools.js kustomize      installs it if missing, prints the binary's path
 *
 * kustomize is built from source with `go install sigs.k8s.io/kustomize/kustomize/v5@<version>`,
 * which needs only Go and the Go module proxy (no binary download from GitHub). Idempotent: a
 * second call finds the binary and returns at once; concurrent calls each build into a temporary
 * folder and the first rename wins. KUSTOMIZE=/path/to/kustomize uses a binary of your own
 * instead (it must print the pinned major version, v5).
 *
 * Used by the deploy test suite (test/deploy/), so `npm run test:deploy` works on a clean machine.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CACHE = path.join(REPO_ROOT, '.cache', 'deploy-tools');

// v5.8.3 needs Go 1.27; v5.8.2 is the newest that builds with the Go 1.26 of these machines.
const KUSTOMIZE_VERSION = 'v5.8.2';
const KUSTOMIZE_MODULE = 'sigs.k8s.io/kustomize/kustomize/v5';

function log(msg) {
  process.stderr.write(`[deploy-tools] ${msg}\n`);
}

function versionOf(bin) {
  try {
    return execFileSync(bin, ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function kustomize() {
  if (process.env.KUSTOMIZE) {
    const v = versionOf(process.env.KUSTOMIZE);
    if (!v || !/\bv5\./.test(v)) throw new Error(`KUSTOMIZE=${process.env.KUSTOMIZE} is not a kustomize v5 (version: ${v ?? 'none'})`);
    return process.env.KUSTOMIZE;
  }
  const dir = path.join(CACHE, `kustomize-${KUSTOMIZE_VERSION}`);
  const bin = path.join(dir, 'kustomize');
  if (fs.existsSync(bin) && (versionOf(bin) ?? '').includes(KUSTOMIZE_VERSION)) return bin;

  fs.mkdirSync(CACHE, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const started = Date.now();
  log(`building kustomize ${KUSTOMIZE_VERSION} with go install (Go module proxy), once...`);
  try {
    execFileSync('go', ['install', '-trimpath', '-ldflags=-s -w', `${KUSTOMIZE_MODULE}@${KUSTOMIZE_VERSION}`], {
      cwd: CACHE, // outside any Go module
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOBIN: tmp, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: [process.env.GOFLAGS, '-modcacherw'].filter(Boolean).join(' ') },
    });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`go install ${KUSTOMIZE_MODULE}@${KUSTOMIZE_VERSION} failed (is Go >= 1.24 on PATH?): ${e.message}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    // Another process finished first: keep its binary.
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(bin)) throw e;
  }
  const v = versionOf(bin);
  if (!v || !v.includes(KUSTOMIZE_VERSION)) throw new Error(`${bin} does not run (version: ${v ?? 'none'})`);
  log(`kustomize ${KUSTOMIZE_VERSION} ready in ${((Date.now() - started) / 1000).toFixed(0)} s: ${bin}`);
  return bin;
}

const TOOLS = { kustomize };
module.exports = { ...TOOLS, KUSTOMIZE_VERSION };

if (require.main === module) {
  const name = process.argv[2];
  if (!TOOLS[name]) {
    process.stderr.write(`usage: node scripts/deploy/tools.js ${Object.keys(TOOLS).join('|')}\n`);
    process.exit(2);
  }
  try {
    process.stdout.write(TOOLS[name]() + '\n');
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
