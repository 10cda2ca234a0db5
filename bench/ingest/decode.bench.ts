/**
 * Decode benchmark of the bronze ingestor's hot loop, in process (no broker, no Delta): what each
 * PayloadDecoder (PAYLOAD_DECODER) costs to turn a fetch's packed payloads into bronze columns, on
 * each layout real producers write (libs/ingest's PRODUCER_LAYOUT_NAMES):
 *
 *   producer        our producer: JSON.stringify of the event in contract order;
 *   python          the seed's producer, Python's json.dumps defaults (", " and ": ", \uXXXX escapes);
 *   json-stringify  a JavaScript producer with its own field order;
 *   jackson         a Java producer, Jackson's default (declared field order, no whitespace).
 *
 * Decoders: reference (JSON.parse + validateSalesEvent, then the columns), js (the JavaScript scan,
 * then the reference for what it leaves), wasm (the WebAssembly scan, then its JavaScript scan, then
 * the reference). Each pass: payloads packed FETCH at a time as the classify worker gets them,
 * begin + decode + keep per row, finish() every BATCH rows.
 *
 * Payloads are the simulator's events. After a warm-up round, ROUNDS rounds each run every
 * (layout, decoder) pass once, in turn, so that all see the same machine conditions; the table
 * gives the median and best ns/row (wall clock, single thread) and, per decoder, the median of the
 * per-round ratio of the producer layout's time to the layout's (its speed relative to our layout,
 * which stays meaningful on a shared machine whose speed drifts). Target: each layout >= 0.8 on
 * the fast decoders.
 *
 *   npm run bench:decode
 *   env: ROWS (default 100000), ROUNDS (9), BATCH (50000), FETCH (10000), DECODERS (wasm,js,reference)
 */
import {
  createPayloadDecoder,
  PAYLOAD_DECODERS,
  PayloadDecoderKind,
  PRODUCER_LAYOUT_NAMES,
  ProducerLayoutName,
  serializeSale,
} from '@app/ingest';
import { SaleIdGenerator, SalesGenerator } from '@app/simulator';
import { fmtInt, loadWarning, median, printTable, round } from '../delta/common';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const ROWS = env('ROWS', 100_000);
const ROUNDS = env('ROUNDS', 9);
const BATCH = env('BATCH', 50_000);
const FETCH = env('FETCH', 10_000);
const DECODERS = (process.env.DECODERS?.split(',') ?? [...PAYLOAD_DECODERS]) as PayloadDecoderKind[];
const TARGET_RATIO = 0.8;

interface Fetch {
  bytes: Buffer;
  starts: Int32Array;
  lengths: Int32Array;
}

function payloads(count: number, layout: ProducerLayoutName): Buffer[] {
  const start = Date.UTC(2026, 10, 26, 19, 40, 20, 301);
  let clock = start;
  const generator = new SalesGenerator({ clients: 1000, products: 100 }, new SaleIdGenerator(1, () => clock), 42);
  return Array.from({ length: count }, (_, i) => {
    clock = start + i * 3; // ~330 sales a second
    return Buffer.from(serializeSale(generator.next(new Date(clock)), layout));
  });
}

/** The payloads packed FETCH at a time, as packMessages hands them to the classify worker. */
function packedFetches(all: readonly Buffer[]): Fetch[] {
  const fetches: Fetch[] = [];
  for (let from = 0; from < all.length; from += FETCH) {
    const part = all.slice(from, from + FETCH);
    const starts = new Int32Array(part.length);
    const lengths = Int32Array.from(part, (p) => p.length);
    for (let i = 1; i < part.length; i++) starts[i] = starts[i - 1] + lengths[i - 1];
    fetches.push({ bytes: Buffer.concat(part), starts, lengths });
  }
  return fetches;
}

/** One pass over the fetches; returns the rows accepted (so nothing is optimised away). */
type Pass = () => number;

function pass(kind: PayloadDecoderKind, fetches: readonly Fetch[]): Pass {
  const decoder = createPayloadDecoder(kind, BATCH);
  return () => {
    let rows = 0;
    for (const { bytes, starts, lengths } of fetches) {
      decoder.begin(bytes, starts, lengths);
      for (let i = 0; i < lengths.length; i++) {
        if (decoder.decode(i) === undefined) continue;
        decoder.keep();
        if (decoder.length === BATCH) rows += decoder.finish().numRows;
      }
    }
    return rows + decoder.finish().numRows;
  };
}

function main(): void {
  const layouts = PRODUCER_LAYOUT_NAMES.map((layout) => ({ layout, fetches: packedFetches(payloads(ROWS, layout)) }));
  const bytesPerRow = layouts.map(({ layout, fetches }) => `${layout} ${round(fetches.reduce((s, f) => s + f.bytes.length, 0) / ROWS, 0)}`);
  console.log(
    `${fmtInt(ROWS)} payloads per layout (bytes per payload: ${bytesPerRow.join(', ')}); ${ROUNDS} rounds after a warm-up, finish() every ${fmtInt(BATCH)} rows`,
  );
  const warning = loadWarning();
  if (warning) console.log(warning);

  // Decoder by decoder, its layouts one after another: a layout's ratio to ours compares passes run moments apart.
  const variants = DECODERS.flatMap((decoder) => layouts.map(({ layout, fetches }) => ({ layout, decoder, run: pass(decoder, fetches) })));
  const rows = variants.map((v) => v.run()); // warm-up: JIT, dictionary-sized Maps, layouts learned
  const nsPerRow: number[][] = variants.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    variants.forEach((v, k) => {
      const t0 = process.hrtime.bigint();
      rows[k] = v.run();
      nsPerRow[k].push(Number(process.hrtime.bigint() - t0) / ROWS);
    });
  }
  const indexOf = (layout: ProducerLayoutName, decoder: PayloadDecoderKind) =>
    variants.findIndex((v) => v.layout === layout && v.decoder === decoder);
  const ratioToProducer = (k: number) => {
    const base = nsPerRow[indexOf('producer', variants[k].decoder)];
    return median(nsPerRow[k].map((ns, r) => base[r] / ns));
  };
  printTable(
    ['layout', 'decoder', 'median ns/row', 'best ns/row', 'rows/s (median)', 'speed vs producer layout', 'rows accepted'],
    variants.map((v, k) => [
      v.layout,
      v.decoder,
      fmtInt(median(nsPerRow[k])),
      fmtInt(Math.min(...nsPerRow[k])),
      fmtInt(1e9 / median(nsPerRow[k])),
      `${round(ratioToProducer(k), 2)}x`,
      fmtInt(rows[k]),
    ]),
  );
  for (const decoder of DECODERS.filter((d) => d !== 'reference')) {
    const worst = Math.min(...PRODUCER_LAYOUT_NAMES.map((layout) => ratioToProducer(indexOf(layout, decoder))));
    console.log(
      `${decoder}: every layout at least ${round(worst, 2)}x the producer layout's speed; target >= ${TARGET_RATIO}: ${worst >= TARGET_RATIO ? 'met' : 'NOT met'}`,
    );
  }
}

main();
