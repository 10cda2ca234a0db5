/**
 * The layering rules of .dependency-cruiser.js, which `npm run lint` checks on the code base, catch
 * what they are for: a fixture tree with an import cycle, a deep import into another
 * lib, and libs/delta importing Nest is rejected with each rule named.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.js');

interface CruiseOutput {
  summary: { violations: { rule: { name: string }; from: string; to: string }[] };
}

function cruise(cwd: string): CruiseOutput {
  const run = spawnSync(DEPCRUISE, ['apps', 'libs', 'scripts', '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (!run.stdout) throw new Error(`depcruise printed nothing: ${run.stderr}`);
  return JSON.parse(run.stdout) as CruiseOutput;
}

function write(root: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
}

test('the rules reject a cycle, a deep import and libs/delta importing Nest', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'layers-'));
  try {
    write(dir, 'tsconfig.json', JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@app/a': ['libs/a/src'], '@app/delta': ['libs/delta/src'] } } }));
    write(dir, 'node_modules/@nestjs/common/package.json', JSON.stringify({ name: '@nestjs/common', main: 'index.js' }));
    write(dir, 'node_modules/@nestjs/common/index.js', 'module.exports = {};');
    write(dir, 'libs/a/src/index.ts', "export * from './one';");
    write(dir, 'libs/a/src/one.ts', "import { two } from './two';\nexport const one = (): number => two() + 1;");
    write(dir, 'libs/a/src/two.ts', "import { one } from './one';\nexport const two = (): number => one() - 1;");
    write(dir, 'libs/delta/src/index.ts', "export * from './inner';");
    write(dir, 'libs/delta/src/inner.ts', "import { Injectable } from '@nestjs/common';\nexport const inner = Injectable;");
    write(dir, 'scripts/tool.ts', "export const tool = 1;");
    write(dir, 'apps/x/src/main.ts', "import { inner } from '../../../libs/delta/src/inner';\nexport const x = inner;");
    const rules = new Set(cruise(dir).summary.violations.map((v) => v.rule.name));
    expect(rules).toEqual(new Set(['no-cycle', 'lib-entry-points-only', 'delta-knows-no-kafka-or-nest']));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
