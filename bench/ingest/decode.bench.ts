/**
 * Decode benchmark of the bronze ingestor's hot loop, in process (no broker, no Delta): what it
 * costs to turn Kafka payloads into something the writer takes.
 *
 *  (a) reference:     parseSalesMessage per payload (JSON.parse + validateSalesEvent), as today;
 *  (b) reference+put: the same, then SalesColumnsBuilder.put + keep, finish every BATCH rows:
 *                     the fallback path, and what a columnar ingestor would pay without the fast path;
 *  (c) fast path:     SalesColumnsBuilder.decode + keep, finish every BATCH rows;
 *  (d) packed:        the ingestor's path: payloads packed FETCH at a time as the classify worker
 *                     gets them, SalesColumnsBuilder.beginPacked + decodePacked (the WebAssembly
 *                     scan, then the JavaScript for what it refuses) + keep, finish every BATCH rows.
 *
 * Payloads are producer-like (SalesGenerator's JSON, ~250 bytes) as Buffers, as kafkajs hands them
 * over. After a warm-up round, ROUNDS rounds each run every variant once over all payloads, in turn,
 * so that all variants see the same machine conditions; the table shows the median and best ns/row
 * (wall clock, single thread) and the median of the per-round ratio to (a), which stays meaningful
 * on a shared machine whose speed drifts during the run.
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only bench/ingest/decode.bench.ts
 *   env: ROWS (default 200000), ROUNDS (5), BATCH (50000), FETCH (10000)
 */
import { parseSalesMessage, SalesColumnsBuilder } from '@app/schemas';
import { SaleIdGenerator, SalesGenerator } from '@app/simulator';
import { fmtInt, loadWarning, median, printTable, round } from '../delta/common';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const ROWS = env('ROWS', 200_000);
const ROUNDS = env('ROUNDS', 5);
const BATCH = env('BATCH', 50_000);
const FETCH = env('FETCH', 10_000);
const TARGET_NS_PER_ROW = 1000;

function producerPayloads(count: number): Buffer[] {
  const start = Date.UTC(2026, 10, 26, 19, 40, 20, 301);
  let clock = start;
  const generator = new SalesGenerator({ clients: 1000, products: 100 }, new SaleIdGenerator(1, () => clock), 42);
  const payloads = new Array<Buffer>(count);
  for (let i = 0; i < count; i++) {
    clock = start + i * 3; // ~330 sales a second
    payloads[i] = Buffer.from(JSON.stringify(generator.next(new Date(clock))));
  }
  return payloads;
}

/** Runs one pass over the payloads; returns how many rows it accepted (so nothing is optimised away). */
type Pass = (payloads: readonly Buffer[]) => number;

const reference: Pass = (payloads) => {
  let ok = 0;
  for (const p of payloads) if (parseSalesMessage(p).ok) ok++;
  return ok;
};

function columnar(useFastPath: boolean): Pass {
  const builder = new SalesColumnsBuilder(BATCH);
  return (payloads) => {
    let rows = 0;
    for (const p of payloads) {
      if (!useFastPath || builder.decode(p) === undefined) {
        const parsed = parseSalesMessage(p);
        if (!parsed.ok) continue;
        builder.put(parsed.event, parsed.eventTimeMicros);
      }
      builder.keep();
      if (builder.length === BATCH) rows += builder.finish().numRows;
    }
    return rows + builder.finish().numRows;
  };
}

/** The payloads packed FETCH at a time, as packMessages hands them to the classify worker. */
function packedFetches(payloads: readonly Buffer[]): Array<{ bytes: Buffer; starts: Int32Array; lengths: Int32Array }> {
  const fetches = [];
  for (let from = 0; from < payloads.length; from += FETCH) {
    const part = payloads.slice(from, from + FETCH);
    const starts = new Int32Array(part.length);
    const lengths = Int32Array.from(part, (p) => p.length);
    for (let i = 1; i < part.length; i++) starts[i] = starts[i - 1] + lengths[i - 1];
    fetches.push({ bytes: Buffer.concat(part), starts, lengths });
  }
  return fetches;
}

function packed(payloads: readonly Buffer[]): Pass {
  const builder = new SalesColumnsBuilder(BATCH);
  const fetches = packedFetches(payloads);
  return () => {
    let rows = 0;
    for (const { bytes, starts, lengths } of fetches) {
      builder.beginPacked(bytes, starts, lengths);
      for (let i = 0; i < lengths.length; i++) {
        if (builder.decodePacked(i) === undefined) {
          const parsed = parseSalesMessage(bytes.subarray(starts[i], starts[i] + lengths[i]));
          if (!parsed.ok) continue;
          builder.put(parsed.event, parsed.eventTimeMicros);
        }
        builder.keep();
        if (builder.length === BATCH) rows += builder.finish().numRows;
      }
    }
    return rows + builder.finish().numRows;
  };
}

/** ns/row of each pass in each round; the passes take turns within a round. */
function measure(passes: readonly Pass[], payloads: readonly Buffer[]): { nsPerRow: number[][]; rows: number[] } {
  const rows = passes.map((pass) => pass(payloads)); // warm-up: JIT, dictionary-sized Maps
  const nsPerRow: number[][] = passes.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    passes.forEach((pass, k) => {
      const t0 = process.hrtime.bigint();
      rows[k] = pass(payloads);
      nsPerRow[k].push(Number(process.hrtime.bigint() - t0) / payloads.length);
    });
  }
  return { nsPerRow, rows };
}

function main(): void {
  const payloads = producerPayloads(ROWS);
  const bytes = payloads.reduce((sum, p) => sum + p.length, 0);
  console.log(
    `${fmtInt(ROWS)} producer payloads, ${round(bytes / ROWS, 0)} bytes on average; ${ROUNDS} rounds after a warm-up, finish() every ${fmtInt(BATCH)} rows`,
  );
  const warning = loadWarning();
  if (warning) console.log(warning);

  const probe = new SalesColumnsBuilder();
  const onFastPath = payloads.filter((p) => probe.decode(p) !== undefined).length;

  const variants: Array<[string, Pass]> = [
    ['(a) parseSalesMessage (reference)', reference],
    ['(b) parseSalesMessage + put + keep', columnar(false)],
    ['(c) decode + keep (fast path)', columnar(true)],
    ['(d) decodePacked + keep (packed, WebAssembly)', packed(payloads)],
  ];
  const { nsPerRow, rows } = measure(
    variants.map(([, pass]) => pass),
    payloads,
  );
  const ratioToReference = (k: number) => median(nsPerRow[0].map((ns, r) => ns / nsPerRow[k][r]));
  printTable(
    ['variant', 'median ns/row', 'best ns/row', 'rows/s (median)', 'speed vs (a)', 'rows accepted'],
    variants.map(([name], k) => [
      name,
      fmtInt(median(nsPerRow[k])),
      fmtInt(Math.min(...nsPerRow[k])),
      fmtInt(1e9 / median(nsPerRow[k])),
      `${round(ratioToReference(k), 2)}x`,
      fmtInt(rows[k]),
    ]),
  );
  // The ingestor's path is (d).
  const ingestorNs = median(nsPerRow[3]);
  console.log(
    `fast path took ${fmtInt(onFastPath)} of ${fmtInt(ROWS)} payloads; target <= ${fmtInt(TARGET_NS_PER_ROW)} ns/row on the ingestor's path (d): ${ingestorNs <= TARGET_NS_PER_ROW ? 'met' : 'NOT met'} (median ${fmtInt(ingestorNs)})`,
  );
  console.log(
    `packed (d) against decode (c): ${round(median(nsPerRow[2].map((ns, r) => ns / nsPerRow[3][r])), 2)}x as fast (median of the per-round ratios)`,
  );
}

main();
