import fc from 'fast-check';
import { ColumnData, isDictionaryColumn } from '@app/delta';
import { SALES_EVENT_FIELDS, SalesEvent } from '@app/schemas';
import { SaleIdGenerator, SalesGenerator } from '@app/simulator';
import { createPayloadDecoder } from './decoder-factory';
import { DecodedColumns } from './columns-builder';
import { JsDecoder } from './js-decoder';
import { PAYLOAD_DECODERS, PayloadDecoder, ReferenceDecoder } from './payload-decoder';
import { PRODUCER_LAYOUT_NAMES, serializeSale } from './producer-layouts';
import { countScannedRows } from '../../test/scanned-rows';

/**
 * Every PayloadDecoder against the reference (JSON.parse + validateSalesEvent) on the same packed
 * payloads: the same event time or the same rejection per row, the same columns per batch.
 */

const START_MS = Date.UTC(2026, 10, 26, 19, 40, 20, 301);

function simulatorEvents(count: number, seed = 7): SalesEvent[] {
  const generator = new SalesGenerator({ clients: 1000, products: 100 }, new SaleIdGenerator(3, () => START_MS), seed);
  return Array.from({ length: count }, (_, i) => generator.next(new Date(START_MS + i * 7)));
}

function pack(payloads: ReadonlyArray<Uint8Array | string | null>): { bytes: Buffer; starts: Int32Array; lengths: Int32Array } {
  const buffers = payloads.map((p) => (p === null ? null : Buffer.from(p)));
  const starts = new Int32Array(payloads.length);
  const lengths = new Int32Array(payloads.length);
  let at = 0;
  buffers.forEach((b, i) => {
    starts[i] = at;
    lengths[i] = b === null ? -1 : b.length;
    at += b?.length ?? 0;
  });
  return { bytes: Buffer.concat(buffers.flatMap((b) => (b === null ? [] : [b]))), starts, lengths };
}

function cell(column: ColumnData, row: number): unknown {
  if (isDictionaryColumn(column)) return column.dictionary[column.indices[row]];
  return (column as Float64Array | Int32Array | BigInt64Array)[row];
}

function batchDifferences(actual: DecodedColumns, expected: DecodedColumns): string[] {
  if (actual.numRows !== expected.numRows) return [`numRows ${actual.numRows}, reference ${expected.numRows}`];
  const out: string[] = [];
  for (const f of SALES_EVENT_FIELDS)
    for (let row = 0; row < expected.numRows; row++) {
      let a = cell(actual.columns[f.name], row);
      let e = cell(expected.columns[f.name], row);
      if (f.type === 'timestamp') [a, e] = [BigInt(a as number), BigInt(e as number)];
      if (!Object.is(a, e)) out.push(`row ${row} ${f.name}: ${String(a)}, reference ${String(e)}`);
    }
  return out;
}

/** Runs every decoder over the same fetches; returns what differs from the reference. */
function differences(fetches: ReadonlyArray<ReadonlyArray<Uint8Array | string | null>>): string[] {
  const reference = new ReferenceDecoder(8);
  const others: PayloadDecoder[] = PAYLOAD_DECODERS.filter((k) => k !== 'reference').map((k) => createPayloadDecoder(k, 8));
  const problems: string[] = [];
  for (const payloads of fetches) {
    const { bytes, starts, lengths } = pack(payloads);
    for (const decoder of [reference, ...others]) decoder.begin(bytes, starts, lengths);
    for (let row = 0; row < payloads.length; row++) {
      const expected = reference.decode(row);
      for (const decoder of others) {
        const actual = decoder.decode(row);
        if (!Object.is(actual, expected))
          problems.push(`${decoder.kind} row ${row}: ${String(actual)}, reference ${String(expected)}: ${String(payloads[row])}`);
        else if (expected === undefined && JSON.stringify(decoder.rejection) !== JSON.stringify(reference.rejection))
          problems.push(
            `${decoder.kind} row ${row}: ${JSON.stringify(decoder.rejection)}, reference ${JSON.stringify(reference.rejection)}`,
          );
        else if (expected !== undefined) decoder.keep();
      }
      if (expected !== undefined) reference.keep();
    }
    const expectedBatch = reference.finish();
    for (const decoder of others) problems.push(...batchDifferences(decoder.finish(), expectedBatch).map((d) => `${decoder.kind} ${d}`));
  }
  return problems;
}

describe('every PayloadDecoder against the reference', () => {
  it('accepts and refuses the same payloads, for the same reasons, with the same values: valid, invalid, every rejection', () => {
    const events = simulatorEvents(300);
    const valid = events.flatMap((e, i) => serializeSale(e, PRODUCER_LAYOUT_NAMES[i % PRODUCER_LAYOUT_NAMES.length]));
    const [e] = events;
    const text = JSON.stringify(e);
    const invalid: Array<string | Uint8Array | null> = [
      null, // malformed_json: a null value
      '', // malformed_json: empty
      '{"vente_id":', // malformed_json: truncated
      Buffer.concat([Buffer.from(text.slice(0, -2)), Buffer.from([0xff]), Buffer.from(text.slice(-2))]), // malformed_json: not UTF-8
      text.replace('"client_nom":"', '"client_nom":"\\x'), // malformed_json: a bad escape
      '[1,2]', // schema_violation: not an object
      JSON.stringify({ ...e, vente_id: undefined }), // a missing field
      JSON.stringify({ ...e, client_id: '3' }), // a wrong type
      JSON.stringify({ ...e, quantite: 0 }),
      JSON.stringify({ ...e, quantite: 10_001 }),
      JSON.stringify({ ...e, montant: 12.345 }),
      JSON.stringify({ ...e, montant: -1 }),
      JSON.stringify({ ...e, montant: 1_000_000.01 }),
      JSON.stringify({ ...e, timestamp: 'yesterday' }),
      JSON.stringify({ ...e, client_nom: '  ' }),
      JSON.stringify({ ...e, segment: 'Autre' }),
      serializeSale({ ...e, segment: 'Autre' as never }, 'python'),
      serializeSale({ ...e, pays: '' }, 'jackson'),
    ];
    // Valid and invalid interleaved, in fetches of several sizes, and the invalid alone.
    const mixed = valid.flatMap((v, i) => (i % 10 === 0 ? [v, invalid[(i / 10) % invalid.length]] : [v]));
    expect(differences([mixed.slice(0, 7), mixed.slice(7, 200), mixed.slice(200), invalid])).toEqual([]);
    const reference = new ReferenceDecoder();
    const { bytes, starts, lengths } = pack(invalid);
    reference.begin(bytes, starts, lengths);
    const reasons = invalid.map((_, row) => (reference.decode(row) === undefined ? reference.rejection.reason : 'accepted'));
    expect(new Set(reasons)).toEqual(new Set(['malformed_json', 'schema_violation']));
  });

  it('agrees with the reference on random payloads (fast-check): random events in every layout, with random whitespace, and random bytes', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('Électronique', 'Société 😀', ' ', '', 'a"b', 'Particulier', 'Entreprise'),
    );
    const event = fc.record({
      vente_id: fc.oneof(fc.integer({ min: -3, max: 2 ** 31 }), fc.constant(2 ** 53 - 1), fc.double({ noNaN: true })),
      client_id: fc.integer({ min: -1, max: 2 ** 31 }),
      produit_id: fc.integer({ min: 0, max: 1000 }),
      timestamp: fc.oneof(
        fc.date({ min: new Date('1970-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
        fc.constantFrom('2026-11-26T19:40:20', '2026-11-26T19:40:20.5+01:00', '2026-13-01T00:00:00Z', 'x'),
      ),
      quantite: fc.integer({ min: -1, max: 10_002 }),
      montant: fc.oneof(
        fc.integer({ min: 0, max: 100_000_000 }).map((c) => c / 100),
        fc.double({ min: -1, max: 2_000_000, noNaN: true }),
      ),
      client_nom: text,
      produit_nom: text,
      categorie: text,
      pays: text,
      segment: fc.constantFrom('Particulier', 'Entreprise', 'Autre', 'particulier'),
    }) as fc.Arbitrary<SalesEvent>;
    const whitespace = fc.constantFrom('', ' ', '\n', '\t ', '\r\n');
    const laidOut = fc
      .tuple(event, fc.constantFrom(...PRODUCER_LAYOUT_NAMES), whitespace)
      .map(([e, layout, ws]) => serializeSale(e, layout).replace(/,"/g, `,${ws}"`));
    const payload = fc.oneof(
      { weight: 6, arbitrary: laidOut },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
      { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
      { weight: 1, arbitrary: fc.constant(null) },
    );
    fc.assert(
      fc.property(fc.array(fc.array(payload, { maxLength: 40 }), { minLength: 1, maxLength: 4 }), (fetches) => {
        expect(differences(fetches)).toEqual([]);
      }),
      { numRuns: 150, seed: 20261206 },
    );
  });

  it("takes every producer layout on its fast path, in JavaScript and in WebAssembly: Python's json.dumps, JSON.stringify, Jackson", () => {
    for (const layout of PRODUCER_LAYOUT_NAMES) {
      const payloads = simulatorEvents(3000, 13).map((e) => serializeSale(e, layout));
      const js = new JsDecoder();
      expect([layout, payloads.filter((p) => js.scanPayload(Buffer.from(p)) !== undefined).length]).toEqual([layout, payloads.length]);
      const rowsTaken = countScannedRows(() => {
        const wasm = createPayloadDecoder('wasm');
        const { bytes, starts, lengths } = pack(payloads);
        wasm.begin(bytes, starts, lengths);
        for (let row = 0; row < payloads.length; row++) expect(wasm.decode(row)).toBeDefined();
      });
      // The rows it refuses: the first (a layout to learn) and the first of each second.
      expect([layout, rowsTaken > payloads.length * 0.9]).toEqual([layout, true]);
    }
  });
});
