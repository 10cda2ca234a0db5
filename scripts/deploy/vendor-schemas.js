#!/usr/bin/env node
/*
 * Re-creates the JSON schemas vendored under test/deploy/schemas/, from registry packages only:
 *
 *   node scripts/deploy/vendor-schemas.js
 *
 * - Compose: schema/compose-spec.json of the Go module github.com/compose-spec/compose-go/v2
 *   (the Compose Specification schema that `docker compose` itself validates against), fetched
 *   with `go mod download` from the Go module proxy.
 * - Kubernetes: the strict ("additionalProperties": false) per-kind JSON schemas generated from
 *   the Kubernetes OpenAPI documents, shipped in the PyPI wheel kubernetes-validate, fetched with
 *   `pip download`. Only the kinds the manifests use are kept, with the definitions they reach.
 *
 * Bump a version below, run this, and commit the result. The tests read only the vendored files,
 * so they need no network for schemas.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const COMPOSE_GO = { module: 'github.com/compose-spec/compose-go/v2', version: 'v2.16.2' };
const KUBERNETES_VALIDATE = { package: 'kubernetes-validate', version: '1.37.0' };
/** Kubernetes versions validated against: an older one still in (extended) support, and the newest. */
const K8S_VERSIONS = ['v1.33.0', 'v1.37.0'];
/** apiVersion/kind of every object the kustomizations may render. */
const K8S_KINDS = [
  'v1/Namespace',
  'v1/ConfigMap',
  'v1/Secret',
  'v1/Service',
  'v1/PersistentVolumeClaim',
  'apps/v1/Deployment',
  'apps/v1/StatefulSet',
  'autoscaling/v2/HorizontalPodAutoscaler',
];

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(REPO_ROOT, 'test', 'deploy', 'schemas');

/** kubernetes-validate's file name for a kind: deployment-apps-v1.json, configmap-v1.json. */
function k8sSchemaFile(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return `${kind.toLowerCase()}${group ? `-${group.split('.')[0]}` : ''}-${version}.json`;
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 1) + '\n');
}

/** Every "#/$defs/<name>" or ".../_definitions.json#/$defs/<name>" reference in a schema value. */
function refsIn(value, out = new Set()) {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') {
        const m = /#\/\$defs\/(.+)$/.exec(v);
        if (!m) throw new Error(`unexpected $ref ${v}`);
        out.add(m[1]);
      } else refsIn(v, out);
    }
  }
  return out;
}

function vendorCompose(sources) {
  const info = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', `${COMPOSE_GO.module}@${COMPOSE_GO.version}`], {
      cwd: os.tmpdir(),
      encoding: 'utf8',
      env: { ...process.env, GOFLAGS: [process.env.GOFLAGS, '-modcacherw'].filter(Boolean).join(' '), GOTOOLCHAIN: 'local' },
    }),
  );
  if (info.Error) throw new Error(info.Error);
  const target = path.join(OUT, 'compose-spec.json');
  fs.copyFileSync(path.join(info.Dir, 'schema', 'compose-spec.json'), target);
  sources.compose = { from: `Go module ${COMPOSE_GO.module}@${info.Version} (schema/compose-spec.json)`, license: 'Apache-2.0', sha256: sha256(target) };
}

function vendorKubernetes(sources) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-schemas-'));
  try {
    execFileSync('python3', ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '-q', '-d', tmp, `${KUBERNETES_VALIDATE.package}==${KUBERNETES_VALIDATE.version}`], { stdio: 'inherit' });
    const wheel = fs.readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error('pip downloaded no wheel');
    const wheelPath = path.join(tmp, wheel);
    const extract = `
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for n in z.namelist():
    if any(n.startswith('kubernetes_validate/kubernetes-json-schema/%s-local-strict/' % v) for v in sys.argv[3:]):
        z.extract(n, sys.argv[2])
`;
    execFileSync('python3', ['-c', extract, wheelPath, tmp, ...K8S_VERSIONS], { stdio: 'inherit' });
    sources.kubernetes = {
      from: `PyPI ${KUBERNETES_VALIDATE.package}==${KUBERNETES_VALIDATE.version} (kubernetes_validate/kubernetes-json-schema/<version>-local-strict), pruned to the kinds listed`,
      license: 'Apache-2.0',
      wheelSha256: sha256(wheelPath),
      versions: K8S_VERSIONS,
      kinds: K8S_KINDS,
    };
    for (const version of K8S_VERSIONS) {
      const src = path.join(tmp, 'kubernetes_validate', 'kubernetes-json-schema', `${version}-local-strict`);
      const dst = path.join(OUT, 'kubernetes', version);
      fs.rmSync(dst, { recursive: true, force: true });
      const defsDoc = JSON.parse(fs.readFileSync(path.join(src, '_definitions.json'), 'utf8'));
      const wanted = new Set();
      for (const ak of K8S_KINDS) {
        const i = ak.lastIndexOf('/');
        const file = k8sSchemaFile(ak.slice(0, i), ak.slice(i + 1));
        const schema = JSON.parse(fs.readFileSync(path.join(src, file), 'utf8'));
        writeJson(path.join(dst, file), schema);
        refsIn(schema, wanted);
      }
      // Transitive closure over the definitions.
      const queue = [...wanted];
      while (queue.length) {
        const name = queue.pop();
        const def = defsDoc.$defs[name];
        if (!def) throw new Error(`${version}: no definition ${name}`);
        for (const r of refsIn(def)) if (!wanted.has(r)) (wanted.add(r), queue.push(r));
      }
      const $defs = Object.fromEntries([...wanted].sort().map((n) => [n, defsDoc.$defs[n]]));
      writeJson(path.join(dst, '_definitions.json'), { $schema: defsDoc.$schema, $id: defsDoc.$id, $defs });
      process.stdout.write(`kubernetes ${version}: ${K8S_KINDS.length} kinds, ${wanted.size} of ${Object.keys(defsDoc.$defs).length} definitions\n`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const sources = {};
  vendorCompose(sources);
  vendorKubernetes(sources);
  writeJson(path.join(OUT, 'sources.json'), { generatedBy: 'node scripts/deploy/vendor-schemas.js', ...sources });
  process.stdout.write(`schemas written to ${path.relative(REPO_ROOT, OUT)}/\n`);
}

module.exports = { k8sSchemaFile, K8S_VERSIONS, K8S_KINDS };

if (require.main === module) main();
