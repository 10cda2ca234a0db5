/**
 * The recovery operator commands as an operator runs them (`npm run lakehouse -- restore|clone`),
 * as processes on a lakehouse on disk: their JSON output, the tables they leave, and exit code 2
 * with the reason on stderr for what cannot be done.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { commitPath, DeltaTable } from '@app/delta';
import { BRONZE_TABLE, CLIENT_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { SilverJob } from '@app/silver';
import { bronzeRow, createBronze, readSilver, tempLakehouse } from '../../libs/silver/test/bronze-fixtures';
import { setMtime } from '../../libs/delta/test/helpers';
import type { OperatorCommand } from '../../scripts/operator/operator-command';

const ROOT = path.resolve(__dirname, '../..');

jest.setTimeout(300_000);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run lakehouse -- <args>` as its node process, on the lakehouse at `root`. */
function lakehouse(root: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', path.join(ROOT, 'scripts', 'lakehouse.ts'), ...args],
      { cwd: ROOT, env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), LAKEHOUSE_ROOT: root } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

/** The txn appId under which an ingestor stores partition 0's offset. */
const OFFSETS_APP_ID = 'bronze-ingestor-ventes_stream-0';

async function silverDays(root: string): Promise<string[]> {
  await new SilverJob({ lakehouseRoot: root }).run();
  return (await readSilver(root, CLIENT_AGGREGATES_TABLE, ['jour'])).map((r) => String(r.jour));
}

async function ids(uri: string): Promise<number[]> {
  return (await (await DeltaTable.open(uri)).readRows()).map((r) => Number(r.vente_id)).sort((a, b) => a - b);
}

it('restore (by version, by timestamp, dry run), silver following it, a backup clone put back in place, and their refusals', async () => {
  const root = tempLakehouse('recovery-commands-');
  const bronze = await createBronze(root);
  // Version v holds the sale of offset v, committed with it as an ingestor does.
  for (const [v, client_id] of [[1, 1], [2, 2], [3, 3]] as const) {
    const row = bronzeRow({ vente_id: v, client_id, produit_id: 101, jour: `2024-12-0${v}`, montant: 10 * v });
    await bronze.append({ rows: [row] }, { txns: [{ appId: OFFSETS_APP_ID, version: v }] });
  }
  expect(await silverDays(root)).toEqual(['2024-12-01', '2024-12-02', '2024-12-03']);
  const uri = tableLocation(root, BRONZE_TABLE);
  const t0 = Date.parse('2024-12-05T08:00:00Z');
  for (let v = 0; v <= 3; v++) await setMtime(path.join(uri, commitPath(v)), t0 + v * 60_000);

  // A backup of version 2 first.
  const backup = path.join(tempLakehouse('recovery-backup-'), 'ventes_stream');
  const clone = await lakehouse(root, ['clone', '--table', 'bronze/ventes_stream', '--version', '2', '--to', backup, '--withOffsets']);
  expect(clone).toMatchObject({ code: 0, stderr: '' });
  expect(JSON.parse(clone.stdout)).toMatchObject({ source: uri, target: backup, sourceVersion: 2, metrics: { numCopiedFiles: 2 } });
  expect(await ids(backup)).toEqual([1, 2]);

  const dry = await lakehouse(root, ['restore', '--table', 'bronze/ventes_stream', '--version', '1', '--dryRun']);
  expect(dry.code).toBe(0);
  expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, restoredVersion: 1, metrics: { numRemovedFiles: 2, numRestoredFiles: 0 } });
  expect((await DeltaTable.open(uri)).version).toBe(3);

  // A timestamp without an offset is UTC: 08:01:30 falls between versions 1 and 2.
  const byTime = await lakehouse(root, ['restore', '--table', 'bronze/ventes_stream', '--timestamp', '2024-12-05T08:01:30']);
  expect(byTime.code).toBe(0);
  expect(JSON.parse(byTime.stdout)).toMatchObject({ version: 4, restoredVersion: 1, metrics: { numRemovedFiles: 2, numOfFilesAfterRestore: 1 } });
  expect(await ids(uri)).toEqual([1]);
  // Silver follows a restored bronze at its next run; the offsets stay where the ingestor left them.
  expect(await silverDays(root)).toEqual(['2024-12-01']);
  expect((await DeltaTable.open(uri)).txnVersion(OFFSETS_APP_ID)).toBe(3);

  const byVersion = await lakehouse(root, ['restore', '--table', 'bronze/ventes_stream', '--version', '3']);
  expect(JSON.parse(byVersion.stdout)).toMatchObject({ version: 5, restoredVersion: 3, metrics: { numRestoredFiles: 2 } });
  expect(await ids(uri)).toEqual([1, 2, 3]);
  expect((await (await DeltaTable.open(uri)).history(2)).map((h) => [h.operation, h.operationParameters?.version])).toEqual([
    ['RESTORE', '3'],
    ['RESTORE', '1'],
  ]);

  expect(await silverDays(root)).toEqual(['2024-12-01', '2024-12-02', '2024-12-03']);

  // Bronze lost: the backup goes back in its place, with the offsets it was taken with.
  rmSync(uri, { recursive: true });
  const putBack = await lakehouse(root, ['clone', '--from', backup, '--toTable', 'bronze/ventes_stream', '--withOffsets']);
  expect(JSON.parse(putBack.stdout)).toMatchObject({ source: backup, target: uri, sourceVersion: 0 });
  expect(await ids(uri)).toEqual([1, 2]);
  // An ingestor started now resumes after offset 2.
  expect((await DeltaTable.open(uri)).txnVersion(OFFSETS_APP_ID)).toBe(2);
  expect(await silverDays(root)).toEqual(['2024-12-01', '2024-12-02']);

  // Refusals: two as processes (exit code 2, the reason on stderr)...
  for (const [args, message] of [
    [['restore', '--table', 'bronze/ventes_stream', '--version', '99'], /must be older than the current version/],
    [['clone', '--table', 'bronze/ventes_stream', '--to', backup], /a Delta table already exists at/],
  ] as Array<[string[], RegExp]>) {
    const run = await lakehouse(root, args);
    expect({ args, code: run.code }).toEqual({ args, code: 2 });
    expect(run.stderr).toMatch(message);
  }
  // ...the others through the same entry points in this process (a process start costs seconds).
  const lakehouseRoot = process.env.LAKEHOUSE_ROOT;
  process.env.LAKEHOUSE_ROOT = root;
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    for (const [[name, ...args], message] of [
      [['restore', '--table', 'bronze/ventes_stream'], /exactly one of --version and --timestamp/],
      [['restore', '--table', 'bronze/ventes_stream', '--timestamp', 'yesterday'], /timestamp: expected an ISO-8601 instant/],
      [['restore', '--table', 'bronze/ventes_stream', '--version', 'latest'], /version: expected a table version/],
      [['restore', '--table', 'bronze/ventes_quarantine', '--version', '0'], /no Delta table at/],
      [['restore', '--table', 'bronze/nope', '--version', '0'], /unknown table "bronze\/nope"; one of bronze\/ventes_stream/],
      [['clone', '--table', 'bronze/ventes_stream'], /to: give exactly one of --toTable and --to/],
      [['clone', '--table', 'bronze/ventes_stream', '--to', `${backup}-2`, '--version', '42'], /version 42 .* is not available/],
    ] as Array<[string[], RegExp]>) {
      stderr.mockClear();
      const { command } = (await import(path.join(ROOT, 'scripts', 'operator', `${name}.command.ts`))) as { command: OperatorCommand };
      expect({ args, code: await command.run(args) }).toEqual({ args, code: 2 });
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(message);
    }
  } finally {
    stderr.mockRestore();
    if (lakehouseRoot === undefined) delete process.env.LAKEHOUSE_ROOT;
    else process.env.LAKEHOUSE_ROOT = lakehouseRoot;
  }
  expect((await DeltaTable.open(uri)).version).toBe(0);
});
