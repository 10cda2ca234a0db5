/**
 * The Dockerfile, checked statically (there is no Docker engine here): one target per app on a
 * glibc Debian slim Node LTS base, non-root, a HEALTHCHECK, production dependencies only, and a
 * CMD that is exactly where `nest build <app>` (tsc, apps/<app>/tsconfig.app.json) emits main.js.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { APPS, REPO_ROOT } from './deploy-helpers';

interface Instruction {
  stage: string;
  op: string;
  args: string;
}

/** Instructions with continuation lines joined and comments dropped, each tagged with its stage. */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Array<{ name: string; from: string }>; instructions: Instruction[] } {
  const lines: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    if (/\\\s*$/.test(raw)) {
      current += raw.replace(/\\\s*$/, ' ');
      continue;
    }
    current += raw;
    if (current.trim()) lines.push(current.trim());
    current = '';
  }
  const args: Record<string, string> = {};
  const stages: Array<{ name: string; from: string }> = [];
  const instructions: Instruction[] = [];
  for (const line of lines) {
    const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest)!;
      stages.push({ name: m[2] ?? String(stages.length), from: m[1] });
    } else if (upper === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=');
      args[k] = v ?? '';
    }
    instructions.push({ stage: stages.length ? stages[stages.length - 1].name : '', op: upper, args: rest });
  }
  return { args, stages, instructions };
}

const dockerfile = parseDockerfile(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const inStage = (stage: string, op?: string) => dockerfile.instructions.filter((i) => i.stage === stage && (!op || i.op === op));
const expand = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => dockerfile.args[a ?? b] ?? '');
/** The stages a stage is built on, itself included, nearest first. */
function lineage(stage: string): string[] {
  const out: string[] = [];
  for (let s = dockerfile.stages.find((x) => x.name === stage); s; s = dockerfile.stages.find((x) => x.name === s!.from)) out.push(s.name);
  return out;
}

/** Where tsc, with the app's tsconfig.app.json, writes the JS of apps/<app>/src/main.ts. */
function emittedMain(app: string): { outDir: string; main: string } {
  const configPath = path.join(REPO_ROOT, 'apps', app, 'tsconfig.app.json');
  const json = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(json.config, ts.sys, path.dirname(configPath), undefined, configPath);
  const main = ts.getOutputFileNames(parsed, path.join(REPO_ROOT, 'apps', app, 'src', 'main.ts'), false).find((f) => f.endsWith('.js'))!;
  return { outDir: path.relative(REPO_ROOT, parsed.options.outDir!), main: path.relative(parsed.options.outDir!, main) };
}

describe('Dockerfile', () => {
  it('starts from a glibc Debian slim image of an LTS Node line (not alpine: DuckDB needs glibc)', () => {
    const froms = dockerfile.stages.map((s) => s.from).filter((f) => !dockerfile.stages.some((s) => s.name === f));
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms.map(expand)) {
      const m = /^node:(\d+)-(bookworm|trixie)-slim$/.exec(from);
      expect([from, Boolean(m)]).toEqual([from, true]);
      expect(Number(m![1]) % 2).toBe(0); // even majors are the LTS lines
      const engines = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).engines.node as string;
      expect(Number(m![1])).toBeGreaterThanOrEqual(Number(/\d+/.exec(engines)![0]));
    }
    expect(dockerfile.stages.map((s) => expand(s.from)).join(' ')).not.toMatch(/alpine/);
  });

  it('builds every app with npm ci and nest build', () => {
    const build = inStage('build', 'RUN').map((i) => i.args).join(' && ');
    expect(build).toMatch(/\bnpm ci\b/);
    for (const app of APPS) expect(build).toMatch(new RegExp(`nest build ${app.name}(\\s|$)`));
  });

  it('ships production dependencies only', () => {
    const runtime = lineage('runtime');
    const copy = runtime.flatMap((s) => inStage(s, 'COPY')).find((i) => /node_modules/.test(i.args));
    const from = /--from=(\S+)/.exec(copy?.args ?? '')?.[1];
    expect(from).toBeDefined();
    const install = inStage(from!, 'RUN').map((i) => i.args).join(' ');
    expect(install).toMatch(/npm ci [^&]*--omit=dev|npm prune [^&]*--omit=dev/);
  });

  it('runs as the unprivileged node user, with a HEALTHCHECK on /health using node fetch', () => {
    const users = lineage('runtime').flatMap((s) => inStage(s, 'USER'));
    expect(users.map((u) => u.args)).toEqual(['node']);
    const health = lineage('runtime').flatMap((s) => inStage(s, 'HEALTHCHECK'));
    expect(health).toHaveLength(1);
    expect(health[0].args).toMatch(/fetch\(.*process\.env\.PORT.*\/health/);
  });

  for (const app of APPS) {
    it(`has the "${app.name}" target that runs the compiled main.js on the app's default PORT`, () => {
      const stages = lineage(app.name);
      expect(stages).toContain('runtime');
      // Nothing after the runtime stage switches back to root.
      for (const s of stages.slice(0, stages.indexOf('runtime'))) expect(inStage(s, 'USER')).toEqual([]);

      const { outDir, main } = emittedMain(app.name);
      const copy = inStage(app.name, 'COPY').find((i) => i.args.startsWith('--from=build'));
      expect(copy?.args).toBe(`--from=build /app/${outDir} ./dist`);
      const cmd = inStage(app.name, 'CMD');
      expect(cmd).toHaveLength(1);
      const argv = JSON.parse(cmd[0].args) as string[];
      expect([argv[0], argv[argv.length - 1]]).toEqual(['node', `dist/${main}`]);
      // Anything between is a node option (the ingestor's heap sizing).
      for (const flag of argv.slice(1, -1)) expect(flag).toMatch(/^--[a-z-]+(=\S+)?$/);

      const env = inStage(app.name, 'ENV').map((i) => i.args).join(' ');
      expect(/\bPORT=(\d+)/.exec(env)?.[1]).toBe(app.spec.PORT.default);
      expect(inStage(app.name, 'EXPOSE').map((i) => i.args)).toEqual([app.spec.PORT.default]);
    });
  }
});

describe('.dockerignore', () => {
  const patterns = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  /** .dockerignore globs (Go filepath.Match plus "**"), as a regexp that also matches everything below. */
  const toRegExp = (p: string) => {
    let re = '';
    const glob = p.replace(/^\//, '');
    for (let i = 0; i < glob.length; i++) {
      const c = glob[i];
      if (c === '*' && glob[i + 1] === '*') {
        re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
        i += glob[i + 2] === '/' ? 2 : 1;
      } else if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${re}(?:/.*)?$`);
  };
  const ignored = (file: string) => patterns.some((p) => !p.startsWith('!') && toRegExp(p).test(file));

  it('keeps out what the build must not see or does not need', () => {
    for (const f of ['node_modules', 'dist', '.git', '.cache', 'apps/producer/node_modules', 'test/deploy', 'libs/delta/src/log/commit.spec.ts']) expect([f, ignored(f)]).toEqual([f, true]);
  });

  it('keeps every file the Dockerfile copies from the context', () => {
    const sources = dockerfile.instructions
      .filter((i) => i.op === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => i.args.replace(/--\S+/g, '').trim().split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(3);
    for (const s of sources) {
      expect([s, ignored(s)]).toEqual([s, false]);
      if (statSync(path.join(REPO_ROOT, s)).isDirectory()) expect([s, ignored(`${s}/src/main.ts`), ignored(`${s}/common/src/index.ts`)]).toEqual([s, false, false]);
    }
  });

  it('leaves out no file that the apps import: no source under apps/ or libs/ imports a test folder', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        const rel = path.relative(REPO_ROOT, p);
        if (e.isDirectory()) {
          if (!ignored(rel)) walk(p);
        } else if (e.name.endsWith('.ts') && !ignored(rel) && /from '[^']*\/test\//.test(readFileSync(p, 'utf8'))) offenders.push(rel);
      }
    };
    walk(path.join(REPO_ROOT, 'apps'));
    walk(path.join(REPO_ROOT, 'libs'));
    expect(offenders).toEqual([]);
  });
});
