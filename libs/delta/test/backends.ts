/**
 * The storage backends a Delta suite runs on: the local disk, and the project's S3 server
 * (scripts/s3, SeaweedFS). `describeEachBackend` runs a suite once per backend; its tests take
 * their table roots from `tableRoot()`, a fresh temp folder or a fresh `s3://bucket/<prefix>`.
 *
 * The S3 server is the one .ci/run starts (or, outside CI, started on demand when its binary is
 * built). When it is neither running nor startable, the S3 variants fail loudly in CI (CI=true)
 * and are skipped elsewhere with a message saying how to run them.
 */
import { tempDir } from './fixtures';
import { s3Availability, startS3, S3TestServer } from './s3/s3-server';

export type BackendName = 'local' | 's3';

export interface Backend {
  name: BackendName;
  /** A fresh table root nobody else writes to (valid inside a test or a hook). */
  root(name?: string): string;
}

const local: Backend = { name: 'local', root: (name = 'table') => tempDir(`delta-${name}-`) };

let server: Promise<S3TestServer> | undefined;
let started: S3TestServer | undefined;
let tables = 0;
const s3: Backend = {
  name: 's3',
  root: (name = 'table') => {
    if (!started) throw new Error('the S3 server is not started: call backend.root() inside a test or hook of describeEachBackend');
    return started.root(`${name}-${++tables}`);
  },
};

/** Starts (or reaches) the S3 server once per test file. */
async function s3Server(): Promise<S3TestServer> {
  server ??= startS3();
  started = await server;
  return started;
}

let warned = false;

/** Whether the S3 variants run: when its server can be reached, or in CI, where its absence must fail. */
function s3Enabled(): boolean {
  const availability = s3Availability();
  if (availability.available || process.env.CI === 'true') return true;
  if (!warned) {
    warned = true;
    process.stderr.write(`[delta tests] S3 variants skipped: ${availability.reason}. Start it with \`node scripts/s3/s3.js start\`.\n`);
  }
  return false;
}

/** The backend of the suite running now: describeEachBackend's suites run one after the other in a test file. */
let current: Backend = local;

/**
 * `describe(title, suite)` once per backend, titled `<title> [local]` and `<title> [s3]`. On S3,
 * the server is reached before the suite's own hooks run. Inside, `tableRoot()` gives roots on
 * the suite's backend.
 */
export function describeEachBackend(title: string, suite: (backend: Backend) => void, only: readonly BackendName[] = ['local', 's3']): void {
  for (const backend of [local, s3].filter((b) => only.includes(b.name))) {
    const declare = backend.name === 's3' && !s3Enabled() ? describe.skip : describe;
    declare(`${title} [${backend.name}]`, () => {
      beforeAll(async () => {
        if (backend.name === 's3') await s3Server();
        current = backend;
      });
      afterAll(() => {
        current = local;
      });
      suite(backend);
    });
  }
}

/** A suite about S3 itself, titled `<title> [s3]`, run or skipped as the S3 variants are. */
export function describeS3(title: string, suite: (backend: Backend) => void): void {
  describeEachBackend(title, suite, ['s3']);
}

/** A fresh table root on the backend of the running suite (a temp folder outside describeEachBackend). */
export function tableRoot(name?: string): string {
  return current.root(name);
}
