/**
 * A writer process for the multi-process concurrency test:
 *   node -r ts-node/register/transpile-only concurrent-writer.ts <table> <writer> [batches] [rows] [--barrier]
 * (multi-process.spec.ts runs it transpiled to plain JS, which starts several times faster).
 * Appends `batches` commits of `rows` rows with vente_ids unique to this writer, each with
 * txn(appId "writer-<n>", version = batch number), skipping batches the table already has.
 * With `--barrier`, it loads and warms up first, prints "ready", and starts only when a line
 * arrives on stdin, so that all writers really race. Prints one JSON line with the versions it committed.
 */
// Relative import, not @app/delta: the transpiled copy runs without tsconfig-paths.
import { DeltaTable, withConnection } from '../src';
import { salesRows } from './fixtures';

async function main(): Promise<void> {
  const barrier = process.argv.includes('--barrier');
  const [dir, writerArg, batchesArg = '15', rowsArg = '10'] = process.argv.slice(2).filter((a) => a !== '--barrier');
  const writer = Number(writerArg);
  const batches = Number(batchesArg);
  const rows = Number(rowsArg);
  const appId = `writer-${writer}`;
  const table = await DeltaTable.open(dir);
  if (barrier) {
    await withConnection(async (conn) => void (await conn.run('SELECT 1')));
    process.stdout.write('ready\n');
    await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
    process.stdin.pause();
  }
  const versions: number[] = [];
  for (let batch = 1; batch <= batches; batch++) {
    await table.update();
    if ((table.txnVersion(appId) ?? 0) >= batch) continue;
    const firstId = writer * batches * rows + (batch - 1) * rows + 1;
    const day = batch % 2 ? '2024-12-12' : '2024-12-13';
    const res = await table.append({ rows: salesRows(rows, firstId, day) }, { txns: [{ appId, version: batch }] });
    versions.push(res.version);
  }
  process.stdout.write(JSON.stringify({ writer, versions }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
