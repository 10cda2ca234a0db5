#!/usr/bin/env node
/*
 * Builds the dashboard page into dist/dashboard (served by the gateway at /):
 *
 *   npm run build:dashboard
 *
 * esbuild bundles src/main.ts and its CSS, and in a second file the ECharts modules the page
 * uses (tree-shaken), minified, into files named by their content hash; index.html gets those names; every file also
 * gets gzip and brotli copies, which the gateway sends to browsers that accept them. Prints the
 * size of each file, raw and compressed. `buildDashboard()` is the same build for tests and the
 * benchmark.
 */
'use strict';
const { mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync } = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const SRC = path.join(__dirname, 'src');
const REPO = path.resolve(__dirname, '..', '..', '..');
const OUT = path.join(REPO, 'dist', 'dashboard');
const COMPRESSED = /\.(html|js|css|txt)$/;

/** Builds into outDir (emptied first); resolves to each served file's sizes in bytes. */
async function buildDashboard(outDir = OUT) {
  const esbuild = require('esbuild');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: { app: path.join(SRC, 'main.ts') },
    bundle: true,
    minify: true,
    // ES modules with code splitting: ECharts (src/echarts-setup.ts, imported dynamically) is its
    // own file, so the figures and tables show before it has been fetched and parsed.
    format: 'esm',
    splitting: true,
    target: ['chrome100', 'firefox100', 'safari15'],
    entryNames: '[name]-[hash]',
    chunkNames: 'charts-[hash]',
    outdir: outDir,
    // Apache ECharts' and tslib's notices, in a file next to the bundle rather than in it.
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs).map(([file, meta]) => ({
    name: path.basename(file),
    main: meta.entryPoint?.endsWith('main.ts') === true,
  }));
  const js = outputs.find((o) => o.main && o.name.endsWith('.js'))?.name;
  const css = outputs.find((o) => o.name.endsWith('.css'))?.name;
  // ECharts (a dynamic import, which esbuild makes an entry of its own) and any chunk shared with it.
  const chunks = outputs.filter((o) => !o.main && o.name.endsWith('.js')).map((o) => o.name);
  if (!js || !css) throw new Error(`dashboard build: expected a .js and a .css output, got ${outputs.map((o) => o.name).join(', ')}`);
  // The chunks are fetched along with the page's script rather than after it has run.
  const preload = chunks.map((c) => `<link rel="modulepreload" href="/${c}" />`).join('\n    ');
  const html = readFileSync(path.join(SRC, 'index.html'), 'utf8')
    .replace('{{JS}}', `/${js}`)
    .replace('{{CSS}}', `/${css}`)
    .replace('{{PRELOAD}}', preload);
  writeFileSync(path.join(outDir, 'index.html'), html);

  const sizes = {};
  for (const name of readdirSync(outDir)) {
    if (!COMPRESSED.test(name)) continue;
    const content = readFileSync(path.join(outDir, name));
    const gzip = zlib.gzipSync(content, { level: 9 });
    const brotli = zlib.brotliCompressSync(content, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } });
    writeFileSync(path.join(outDir, `${name}.gz`), gzip);
    writeFileSync(path.join(outDir, `${name}.br`), brotli);
    sizes[name] = { raw: content.length, gzip: gzip.length, brotli: brotli.length };
  }
  return { outDir, js, css, chunks, sizes };
}

module.exports = { buildDashboard, DASHBOARD_OUT: OUT };

if (require.main === module) {
  buildDashboard().then(
    ({ outDir, sizes }) => {
      const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
      process.stdout.write(`dashboard built into ${path.relative(process.cwd(), outDir) || '.'}\n`);
      for (const [name, s] of Object.entries(sizes))
        process.stdout.write(
          `  ${name.padEnd(28)} ${kb(s.raw).padStart(10)}  gzip ${kb(s.gzip).padStart(9)}  brotli ${kb(s.brotli).padStart(9)}\n`,
        );
    },
    (error) => {
      process.stderr.write(`dashboard build failed: ${error.stack || error}\n`);
      process.exit(1);
    },
  );
}
