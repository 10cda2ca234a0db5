/**
 * Runs an app of the monorepo as a real child process (ts-node, transpile-only), so tests can
 * SIGTERM or kill -9 it like an orchestrator would.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { writeTestKeysFile } from './api-keys';

const ROOT = path.resolve(__dirname, '../..');

let keysFile: string | undefined;
/** One keys file (of KEYS) for every app this test process starts, removed when it exits. */
function testKeysFile(): string {
  if (!keysFile) {
    const keys = writeTestKeysFile();
    process.on('exit', () => rmSync(keys.dir, { recursive: true, force: true }));
    keysFile = keys.file;
  }
  return keysFile;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export class AppProcess {
  readonly logs: string[] = [];
  private exited?: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly port: number,
    readonly proc: ChildProcess,
  ) {
    proc.stdout!.on('data', (d: Buffer) => this.logs.push(d.toString()));
    proc.stderr!.on('data', (d: Buffer) => this.logs.push(d.toString()));
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  }

  /** Starts apps/<app>, checking the test API keys (KEYS of ./api-keys) unless `env` says otherwise (API_KEYS_FILE, AUTH_DISABLED). */
  static async start(app: string, env: Record<string, string>): Promise<AppProcess> {
    const port = Number(env.PORT ?? (await freePort()));
    const proc = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', path.join(ROOT, 'apps', app, 'src', 'main.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), LOG_LEVEL: 'log', API_KEYS_FILE: testKeysFile(), ...env, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return new AppProcess(app, port, proc);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async get(pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
    const res = await fetch(this.url + pathname, { headers });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // plain text (e.g. /metrics)
    }
    return { status: res.status, body };
  }

  /** Waits until /health answers 200. */
  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`${this.name} exited with ${this.proc.exitCode}:\n${this.logs.join('').slice(-3000)}`);
      try {
        if ((await this.get('/health')).status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${this.name} not healthy after ${timeoutMs} ms:\n${this.logs.join('').slice(-3000)}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const code = await this.exited!;
    clearTimeout(timer);
    return code;
  }

  waitExit(): Promise<number | null> {
    return this.exited!;
  }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/**
 * Apps a test file starts and waits healthy, all stopped with SIGTERM after its tests: call it at
 * the top level of the file (it registers the afterAll).
 */
export function startedApps(): (app: string, env: Record<string, string>) => Promise<AppProcess> {
  const running: AppProcess[] = [];
  afterAll(async () => {
    await Promise.all(running.splice(0).map((a) => a.stop('SIGTERM')));
  });
  return async (app, env) => {
    const p = await AppProcess.start(app, env);
    running.push(p);
    await p.waitHealthy();
    return p;
  };
}
