/**
 * The project's S3 server (scripts/s3, SeaweedFS) for the S3 suites: on S3_PORT (default 8333),
 * started on demand and left running, like the Kafka broker of the e2e suites; in CI (CI=true)
 * .ci/run starts it, and a server that is not running is an error rather than started here. The
 * AWS variables that point the SDK at it are set in this process (and so in the processes it spawns).
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';

interface S3Script {
  start(opts?: { quiet?: boolean }): Promise<{ endpoint: string; bucket: string; env: Record<string, string> }>;
  availability(): { available: boolean; running: boolean; reason?: string };
  options(): { port: number };
}

// Plain require: the script is CommonJS JavaScript outside the TS project.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const s3Script = require(path.resolve(__dirname, '../../../../scripts/s3/s3.js')) as S3Script;

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  env: Record<string, string>;
  /** A fresh `s3://bucket/<test run>/<name>` root nobody else writes to. */
  root(name: string): string;
}

/** Whether the server is running or can be started here (see scripts/s3/s3.js availability). */
export function s3Availability(): { available: boolean; reason?: string } {
  return s3Script.availability();
}

export async function startS3(): Promise<S3TestServer> {
  if (process.env.CI === 'true' && !s3Script.availability().running) {
    throw new Error(
      `CI=true and no S3 server is running on port ${s3Script.options().port}: .ci/run starts it with \`node scripts/s3/s3.js start\` (same S3_PORT)`,
    );
  }
  const { endpoint, bucket, env } = await s3Script.start({ quiet: true });
  Object.assign(process.env, env);
  const run = `test-${randomUUID()}`;
  return { endpoint, bucket, env, root: (name) => `s3://${bucket}/${run}/${name}` };
}
