import { ColumnData, isDictionaryColumn } from '@app/delta';
import { SaleIdGenerator, SalesGenerator } from '@app/simulator';
import { parseSalesMessage, SALES_EVENT_FIELDS, SalesEvent } from '@app/schemas';
import { JsDecoder } from './js-decoder';
import { WasmDecoder } from './wasm-decoder';
import { countScannedRows } from '../../test/scanned-rows';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const START_MS = Date.UTC(2026, 10, 26, 19, 40, 20, 301);

/** Producer-like events (the simulator's), one millisecond apart. */
function simulatorEvents(count: number, seed = 7): SalesEvent[] {
  const generator = new SalesGenerator({ clients: 1000, products: 100 }, new SaleIdGenerator(3, () => START_MS), seed);
  return Array.from({ length: count }, (_, i) => generator.next(new Date(START_MS + i)));
}

const payloadOf = (event: object): Buffer => Buffer.from(JSON.stringify(event));

function reference(payload: Buffer): { event: SalesEvent; micros: bigint } {
  const r = parseSalesMessage(payload);
  if (!r.ok) throw new Error(`reference refused ${payload.toString()}: ${r.message}`);
  return { event: r.event, micros: r.eventTimeMicros };
}

/** Row `row` of a finished column: a number, a bigint (timestamps in a BigInt64Array) or a dictionary string. */
function cell(column: ColumnData, row: number): unknown {
  if (isDictionaryColumn(column)) return column.dictionary[column.indices[row]];
  if (Array.isArray(column)) throw new Error('the builder never gives cell arrays');
  return (column as Float64Array | Int32Array | BigInt64Array)[row];
}

interface Expected {
  event: SalesEvent;
  micros: bigint;
  payload: Buffer;
}

/** Differences between finished columns and the reference's rows (empty when equal); timestamp columns hold micros. */
function mismatches(batch: { numRows: number; columns: Record<string, ColumnData> }, rows: Expected[]): string[] {
  const out: string[] = [];
  if (batch.numRows !== rows.length) out.push(`numRows ${batch.numRows}, expected ${rows.length}`);
  for (const f of SALES_EVENT_FIELDS) {
    const column = batch.columns[f.name];
    if (isDictionaryColumn(column) && new Set(column.dictionary).size !== column.dictionary.length)
      out.push(`${f.name}: dictionary has duplicates`);
    rows.forEach(({ event, micros, payload }, row) => {
      const actual = cell(column, row);
      const ok = f.type === 'timestamp' ? BigInt(actual as number | bigint) === micros : Object.is(actual, event[f.name]);
      if (!ok)
        out.push(
          `row ${row} ${f.name}: got ${String(actual)}, reference ${f.type === 'timestamp' ? micros : String(event[f.name])} (payload ${JSON.stringify(payload.toString('latin1'))})`,
        );
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Fast path on producer payloads, put(), keep/overwrite, finish, growth, bigint timestamps
// ---------------------------------------------------------------------------------------------

describe('JsDecoder: the JavaScript fast path, and the columns', () => {
  it('decodes the typical producer payload on the fast path', () => {
    // The brief's example shape, with a vente_id the SaleIdGenerator could make (< 2^53).
    const typical = Buffer.from(
      '{"vente_id":4207415287424001,"client_id":3,"produit_id":104,"timestamp":"2026-11-26T19:40:20.301Z","quantite":2,"montant":1799.98,' +
        '"client_nom":"Jean Dupont","produit_nom":"Ordinateur portable","categorie":"Électronique","pays":"France","segment":"Particulier"}',
    );
    const builder = new JsDecoder();
    const micros = builder.scanPayload(typical);
    expect(micros).toBe(Number(reference(typical).micros));
    builder.keep();
    expect(mismatches(builder.finish(), [{ ...reference(typical), payload: typical }])).toEqual([]);
  });

  it("decodes every simulator event on the fast path, equal to the reference's values", () => {
    const builder = new JsDecoder(64);
    const expected: Expected[] = [];
    for (const event of simulatorEvents(2000)) {
      const payload = payloadOf(event);
      const ref = reference(payload);
      expect(builder.scanPayload(payload)).toBe(Number(ref.micros));
      builder.keep();
      expected.push({ ...ref, payload });
    }
    const batch = builder.finish();
    expect(mismatches(batch, expected)).toEqual([]);
    expect(batch.columns.timestamp).toBeInstanceOf(Float64Array);
    expect(batch.columns.vente_id).toBeInstanceOf(Float64Array);
    expect(batch.columns.client_id).toBeInstanceOf(Int32Array);
    expect(batch.columns.montant).toBeInstanceOf(Float64Array);
    // A per-batch dictionary: 1000 clients at most, far fewer than 2000 rows.
    const clients = batch.columns.client_nom;
    expect(isDictionaryColumn(clients) && clients.dictionary.length).toBeLessThanOrEqual(1000);
  });

  it('reads event times of one second from their tails, as the reference parses them whole', () => {
    const [base] = simulatorEvents(1);
    const builder = new JsDecoder();
    const tails = [
      '.301Z',
      '',
      'Z',
      '.5',
      '.5Z',
      '.000001Z',
      '.1234567Z',
      '.99999999Z',
      '.999999999',
      '.1234567891Z',
      '.5+01:00',
      '-0500',
      '.Z',
      'z',
      '.5z',
    ];
    // Each tail after a whole parse of each of the others, so that every one is read both ways.
    for (const first of tails) {
      for (const tail of tails) {
        for (const timestamp of [`2026-11-26T19:40:20${first}`, `2026-11-26T19:40:20${tail}`]) {
          const payload = payloadOf({ ...base, timestamp });
          const ref = parseSalesMessage(payload);
          const micros = builder.scanPayload(payload);
          if (ref.ok) expect([timestamp, micros]).toEqual([timestamp, Number(ref.eventTimeMicros)]);
          else expect([timestamp, micros]).toEqual([timestamp, undefined]);
        }
      }
    }
  });

  it("decodes escaped strings (Python's ensure_ascii, quotes) on the fast path, as the reference reads them", () => {
    const [base] = simulatorEvents(1);
    const text = JSON.stringify(base);
    const escaped = [
      JSON.stringify({ ...base, client_nom: 'Jean "JD" Dupont' }),
      text.replace('"client_nom":"', '"client_nom":"\\u0041'),
      text.replace(/"categorie":"[^"]*"/, '"categorie":"\\u00c9lectronique \\ud83d\\ude00 \\/ \\\\ \\t"'),
      text.replace(/"segment":"[^"]*"/, '"segment":"Particuli\\u0065r"'),
    ];
    const builder = new JsDecoder(2);
    const expected: Expected[] = [];
    for (const t of escaped) {
      const payload = Buffer.from(t);
      const ref = reference(payload);
      expect(builder.scanPayload(payload)).toBe(Number(ref.micros));
      builder.keep();
      expected.push({ ...ref, payload });
    }
    expect(mismatches(builder.finish(), expected)).toEqual([]);
    // Bad escapes, and escapes where the fast path does not read them (keys, event times, unknown fields), are the reference's.
    for (const t of [
      text.replace('"client_nom":"', '"client_nom":"\\x'),
      text.replace('"client_nom":"', '"client_nom":"\\u00'),
      text.replace('"pays"', '"p\\u0061ys"'),
      text.replace(/"timestamp":"2/, '"timestamp":"\\u0032'),
      text.replace('{', '{"extra":"\\u0041",'),
    ])
      expect(builder.scanPayload(Buffer.from(t))).toBeUndefined();
  });

  it('puts reference events the fast path leaves alone (1.0, exponents, -0)', () => {
    const [base] = simulatorEvents(1);
    const texts = [
      JSON.stringify(base).replace(/"quantite":\d+/, '"quantite":2.0'),
      JSON.stringify(base).replace(/"montant":[\d.]+/, '"montant":1.5e2'),
      JSON.stringify(base).replace(/"montant":[\d.]+/, '"montant":-0'),
    ];
    const builder = new JsDecoder(2);
    const expected: Expected[] = [];
    for (const text of texts) {
      const payload = Buffer.from(text);
      expect(builder.scanPayload(payload)).toBeUndefined();
      const ref = reference(payload);
      builder.put(ref.event, ref.micros);
      builder.keep();
      expected.push({ ...ref, payload });
    }
    const batch = builder.finish();
    expect(mismatches(batch, expected)).toEqual([]);
    expect(Object.is(cell(batch.columns.montant, 2), -0)).toBe(true);
  });

  it('leaves to the reference what is valid but off the fast path', () => {
    const [event] = simulatorEvents(1);
    const text = JSON.stringify(event);
    const offFastPath = [
      text.replace('"pays"', '"p\\u0061ys"'), // an escape in a key
      text.replace(/"quantite":\d+/, '"quantite":1.0'),
      text.replace(/"montant":[\d.]+/, '"montant":1e2'),
      text.replace(/"montant":[\d.]+/, '"montant":-0'),
      text.replace('{', '{"pays":"Canada",'), // a duplicate contract key (JSON.parse keeps the last)
      text.replace('{', '{"extra":{"nested":[1,2]},'),
      text.replace('{', '{"extra":[],'),
      text.replace(/"timestamp":"[^"]+"/, '"timestamp":"1600-01-01T00:00:00Z"'), // beyond 2^53 µs
    ];
    const builder = new JsDecoder();
    for (const t of offFastPath) {
      expect(parseSalesMessage(Buffer.from(t)).ok).toBe(true);
      expect(builder.scanPayload(Buffer.from(t))).toBeUndefined();
    }
  });

  it('overwrites a slot that was not kept, and refuses keep() without a filled slot', () => {
    const [a, b, c] = simulatorEvents(3).map(payloadOf);
    const builder = new JsDecoder();
    expect(() => builder.keep()).toThrow(/no event to keep/);
    builder.scanPayload(a); // dropped (late)
    const refB = reference(b);
    builder.put(refB.event, refB.micros); // dropped too
    expect(builder.scanPayload(c)).toBeDefined();
    builder.keep();
    expect(() => builder.keep()).toThrow(/no event to keep/);
    expect(builder.scanPayload(Buffer.from('{"vente_id":'))).toBeUndefined();
    expect(() => builder.keep()).toThrow(/no event to keep/);
    expect(builder.length).toBe(1);
    expect(mismatches(builder.finish(), [{ ...reference(c), payload: c }])).toEqual([]);
  });

  it('keeps a slot decoded before finish() into the next batch (flush first, then keep the event that triggered it)', () => {
    const [a, b] = simulatorEvents(2).map(payloadOf);
    const builder = new JsDecoder();
    builder.scanPayload(a);
    builder.keep();
    builder.scanPayload(b);
    expect(mismatches(builder.finish(), [{ ...reference(a), payload: a }])).toEqual([]);
    builder.keep();
    expect(mismatches(builder.finish(), [{ ...reference(b), payload: b }])).toEqual([]);
  });

  it('finish() hands over its arrays and starts an empty batch with fresh ones', () => {
    const payloads = simulatorEvents(6).map(payloadOf);
    const builder = new JsDecoder(4);
    for (const p of payloads.slice(0, 3)) {
      builder.scanPayload(p);
      builder.keep();
    }
    const first = builder.finish();
    const snapshot = SALES_EVENT_FIELDS.map((f) => [0, 1, 2].map((row) => cell(first.columns[f.name], row)));
    expect(builder.length).toBe(0);
    expect(builder.finish().numRows).toBe(0);
    for (const p of payloads.slice(3)) {
      builder.scanPayload(p);
      builder.keep();
    }
    const second = builder.finish();
    for (const f of SALES_EVENT_FIELDS) expect(second.columns[f.name]).not.toBe(first.columns[f.name]);
    // The first batch is untouched by the rows that came after it.
    expect(SALES_EVENT_FIELDS.map((f) => [0, 1, 2].map((row) => cell(first.columns[f.name], row)))).toEqual(snapshot);
    expect(
      mismatches(
        first,
        payloads.slice(0, 3).map((payload) => ({ ...reference(payload), payload })),
      ),
    ).toEqual([]);
    expect(
      mismatches(
        second,
        payloads.slice(3).map((payload) => ({ ...reference(payload), payload })),
      ),
    ).toEqual([]);
    // Each batch has its own dictionary, with only its own values.
    const pays = second.columns.pays;
    expect(isDictionaryColumn(pays) && [...pays.dictionary].sort()).toEqual(
      [...new Set(payloads.slice(3).map((p) => reference(p).event.pays))].sort(),
    );
  });

  it('grows beyond its initial capacity', () => {
    const events = simulatorEvents(1000);
    const builder = new JsDecoder(1);
    const expected: Expected[] = [];
    for (const event of events) {
      const payload = payloadOf(event);
      builder.scanPayload(payload);
      builder.keep();
      expected.push({ ...reference(payload), payload });
    }
    const batch = builder.finish();
    expect(batch.numRows).toBe(1000);
    expect((batch.columns.vente_id as Float64Array).length).toBeGreaterThanOrEqual(1000);
    expect(mismatches(batch, expected)).toEqual([]);
    // The next batch starts with room for as many rows: it need not grow again.
    expect((builder.finish().columns.vente_id as Float64Array).length).toBe(1024);
  });

  it('switches the batch to a BigInt64Array timestamp column for an event time beyond 2^53 µs, then back for the next batch', () => {
    const [a, b, c] = simulatorEvents(3);
    const early = Buffer.from(JSON.stringify({ ...b, timestamp: '1600-01-01T00:00:00.000001Z' }));
    const late = Buffer.from(JSON.stringify({ ...b, timestamp: '9999-12-31T23:59:59.999999+01:00' }));
    const builder = new JsDecoder(2);
    const expected: Expected[] = [];
    const add = (payload: Buffer) => {
      const ref = reference(payload);
      if (builder.scanPayload(payload) === undefined) builder.put(ref.event, ref.micros);
      builder.keep();
      expected.push({ ...ref, payload });
    };
    add(payloadOf(a));
    expect(builder.scanPayload(early)).toBeUndefined(); // the fast path leaves unsafe times to the reference
    add(early);
    add(payloadOf(c));
    add(late);
    const batch = builder.finish();
    expect(batch.columns.timestamp).toBeInstanceOf(BigInt64Array);
    expect((batch.columns.timestamp as BigInt64Array)[1]).toBe(reference(early).micros);
    expect(mismatches(batch, expected)).toEqual([]);

    builder.scanPayload(payloadOf(a));
    builder.keep();
    expect(builder.finish().columns.timestamp).toBeInstanceOf(Float64Array);
  });

  it('decodes a plain Uint8Array (not a Buffer), including a view into a larger buffer, or a range of one', () => {
    const [event] = simulatorEvents(1);
    const payload = payloadOf(event);
    const backing = new Uint8Array(payload.length + 10);
    backing.set(payload, 5);
    const builder = new JsDecoder();
    expect(builder.scanPayload(backing.subarray(5, 5 + payload.length))).toBe(Number(reference(payload).micros));
    builder.keep();
    // Or as a range of it, read in place.
    expect(builder.scanPayload(Buffer.from(backing.buffer), 5, 5 + payload.length)).toBe(Number(reference(payload).micros));
    builder.keep();
    expect(builder.scanPayload(Buffer.from(backing.buffer), 4, 5 + payload.length)).toBeUndefined(); // a stray byte before it
    expect(
      mismatches(
        builder.finish(),
        [payload, payload].map((p) => ({ ...reference(p), payload: p })),
      ),
    ).toEqual([]);
  });

  it('decodes payloads written one after another into the same reused buffer', () => {
    // Same layout every time, only the client's name differs: anything remembered as a view of the
    // payload's memory instead of a copy would read as the next payload's bytes. The names are
    // prefixes of one another ("Client 12", "Client 123"), which a cache must not confuse either.
    const [event] = simulatorEvents(1);
    const shared = Buffer.alloc(1024);
    const builder = new JsDecoder();
    const expected: Expected[] = [];
    for (let i = 0; i < 20000; i++) {
      const payload = payloadOf({ ...event, client_nom: `Client ${i}` });
      const length = payload.copy(shared);
      expect(builder.scanPayload(shared.subarray(0, length))).toBeDefined();
      builder.keep();
      expected.push({ ...reference(payload), payload });
    }
    expect(mismatches(builder.finish(), expected).slice(0, 5)).toEqual([]);
  });

  it('leaves invalid UTF-8 anywhere in the payload to the reference, which quarantines it as malformed_json', () => {
    const [event] = simulatorEvents(1);
    const invalid = [
      [0xff],
      [0xc3], // truncated 2-byte sequence right before the closing quote
      [0xe2, 0x82],
      [0xc0, 0xaf], // overlong '/'
      [0xed, 0xa0, 0x80], // a UTF-16 surrogate
      [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
      [0x80, 0x41, 0xf0, 0x9f, 0x98],
    ];
    const builder = new JsDecoder();
    const wasm = new WasmDecoder();
    const text = JSON.stringify({ ...event, client_nom: 'X' });
    const withExtra = JSON.stringify({ ...event, extra: 'Y' });
    for (const bytes of invalid) {
      // In a contract string of the producer's layout (the WebAssembly scan finds it), and in an unknown field's string.
      for (const [source, marker, prefix] of [
        [text, '"X"', 'Jean'],
        [withExtra, '"Y"', 'extra'],
      ]) {
        const [before, after] = source.split(marker);
        const payload = Buffer.concat([Buffer.from(before + '"' + prefix), Buffer.from(bytes), Buffer.from('"' + after)]);
        expect(parseSalesMessage(payload)).toEqual({
          ok: false,
          reason: 'malformed_json',
          message: 'invalid JSON: the payload is not valid UTF-8',
        });
        expect(builder.scanPayload(payload)).toBeUndefined();
        const packed = pack([payload, payload], prng(1));
        wasm.begin(packed.bytes, packed.starts, packed.lengths);
        expect([wasm.decode(0), wasm.decode(1)]).toEqual([undefined, undefined]);
        expect(wasm.rejection).toEqual({ reason: 'malformed_json', message: 'invalid JSON: the payload is not valid UTF-8' });
      }
    }
    // A BOM inside a string is valid UTF-8 (TextDecoder would drop it; Buffer, like the reference, keeps it).
    const [before, after] = text.split('"X"');
    const bom = Buffer.concat([Buffer.from(before + '"Jean'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('"' + after)]);
    const ref = reference(bom);
    expect(ref.event.client_nom).toBe('Jean\ufeff');
    expect(builder.scanPayload(bom)).toBe(Number(ref.micros));
    builder.keep();
    expect(mismatches(builder.finish(), [{ ...ref, payload: bom }])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Differential fuzz test against parseSalesMessage
// ---------------------------------------------------------------------------------------------

/** xorshift32: a seeded PRNG so every failure reproduces. */
function prng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)], chance: (p) => next() < p };
}
type Random = ReturnType<typeof prng>;

const bytes = (...parts: Array<string | number[] | Uint8Array>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

function randomDigits(random: Random, count: number): string {
  let s = '';
  for (let k = 0; k < count; k++) s += random.int(10);
  return s;
}

/** Raw JSON values (as bytes) to put in place of a contract field's value: valid, borderline and broken. */
// prettier-ignore
const INTEGER_VALUES = [
  '1', '42', '2147483647', '2147483648', '0', '-1', '-0', '01', '00', '1.0', '1.5', '1e3', '1E2', '+1', '0x10', '1.', '.5', '-', '',
  '9007199254740991', '9007199254740992', '9007199254740993', '99999999999999999999', '"1"', 'null', 'true', '[]', '{}', '[1]', '12a', 'NaN', 'Infinity',
  // Around MAX_QUANTITE.
  '9999', '10000', '10001', '100000',
];
// prettier-ignore
const AMOUNT_VALUES = [
  '0', '0.0', '-0', '-0.0', '1799.98', '0.1', '0.30000000000000004', '4.35', '0.000001', '1e3', '1E-2', '1.5e308', '1e309', '-1.5',
  '123456789012345678901234567890', '9007199254740993.5', '9007199254740991', '9007199254740992', '1.7976931348623157e308', '1.7976931348623159e308',
  '2.2250738585072014e-308', '5e-324', '01.5', '1.', '.5', '+1', '"1.5"', 'null', '00', '0.' + '1'.repeat(30), '1' + '0'.repeat(400), '1' + '0'.repeat(400) + '.5',
  // Around MAX_MONTANT and whole cents; 1e300 and 1e400 (Infinity) are what an attacker sends.
  '1000000', '1000000.00', '1000000.01', '999999.99', '0.01', '0.001', '12.345', '12.3400000000000000001', '1e300', '1e400', '-1e400', '-0.01',
];
// prettier-ignore
const TIMESTAMP_VALUES = [
  '"2026-11-26T19:40:20.301Z"', '"2024-12-12T10:15:23.123456"', '"2024-12-12 10:15:23"', '"2024-12-12T11:15:23.5+01:00"', '"2024-12-12T05:15:23-0500"',
  '"2024-02-30T10:00:00Z"', '"2024-02-29T23:59:59.999999999Z"', '"2023-02-29T00:00:00Z"', '"2024-12-12T24:00:00Z"', '"2024-12-12T10:15:23.Z"',
  '"1600-01-01T00:00:00Z"', '"2300-01-01T00:00:00Z"', '"1685-01-01T00:00:00Z"', '"2255-06-05T23:47:34.740991Z"', '"9999-12-31T23:59:59.999999Z"',
  '"0000-01-01T00:00:00Z"', '"2024-12-12T10:15:23.1234567891Z"', '" 2024-12-12T10:15:23Z"', '"+024-12-12T10:15:23"', '"2024-12-12"', '""',
  '"2024-12-12T10:15:23\\u005a"', '"2024-12-12T10:15:23Z "', '"2024-12-12T10:15:23+25:00"', '1700000000', 'null', '"\u00a0024-01-01T00:00:00Z"',
  '"2024-12-12T10:15:23\u00a0"', '"２０２４-12-12T10:15:23Z"',
  // Tails after a seconds prefix seen before (the scanner reads those without re-parsing the prefix).
  '"2024-12-12T10:15:23.5"', '"2024-12-12T10:15:23.000001Z"', '"2024-12-12T10:15:23.99999999Z"', '"2024-12-12T10:15:23.1Z"',
  '"2024-12-12T10:15:23Zx"', '"2024-12-12T10:15:23.5Z+01:00"', '"2024-12-12T10:15:23.-1Z"', '"2024-12-12T10:15:23.ZZ"',
  '"2024-12-12T10:15:23.5z"', '"2024-12-12T10:15:23z"', '"2024-12-12T10:15:231"', '"2024-12-12T10:15:2"',
];
// prettier-ignore
const STRING_VALUES = [
  '"Jean Dupont"', '""', '" "', '"\\u00a0"', '"\u00a0"', '"\u3000"', '"\u2028"', '"\ufeff"', '"\t"', '"\\t"', '"Électronique"', '"\\u00c9lectronique"',
  '"a\\"b"', '"a\\nb"', '"a\nb"', '"x\u0000"', '"😀"', '"\\ud83d\\ude00"', '"\\ud800"', '" x "', '"\u00a0x"', '123', 'null', '["a"]', '{"a":"b"}', '"unterminated',
];
// prettier-ignore
const SEGMENT_VALUES = ['"Particulier"', '"Entreprise"', '"particulier"', '"Particulier "', '" Entreprise"', '"Autre"', '"Particuli\\u0065r"', '""', '"Entreprise\u0000"', 'null'];
// prettier-ignore
const INVALID_UTF8 = [[0xff], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xef, 0xbb, 0xbf], [0x80], [0xf0, 0x9f, 0x98]];

// prettier-ignore
/** Values of fields outside the contract, of every JSON type (and some that are not JSON). */
const EXTRA_VALUES = [
  '"x"', '""', '"a\\"b"', '"é"', '"\\u0000"', '1', '0', '-1.5e-3', '1E+2', '-0', 'true', 'false', 'null', '{}', '{"a":1}', '[]', '[1,"2",{}]',
  '"a\nb"', 'tru', 'nul', 'falsy', '01', '-', '1.', '1e', '.5', '+1', 'NaN', "'x'", '"unterminated',
  '[1,]', '{"a":1,}', '{"a"}', '[01]', '{"a":1', '["]"]', '{"}":1}',
];
// prettier-ignore
const EXTRA_KEYS = ['"extra"', '"é"', '""', '"a\\"b"', '"vente\\u005fid"', '"VENTE_ID"', '"vente_id "', '"montant2"', '"segmen"', '"\\n"'];

function randomAmount(random: Random): string {
  // Few significant digits after many zeros: 15 to 35 decimals with a mantissa below 2^53, around Clinger's limit of 22.
  if (random.chance(0.3)) return `0.${'0'.repeat(random.int(20))}${1 + random.int(9)}${randomDigits(random, random.int(15))}`;
  const integer = random.chance(0.3) ? '0' : String(1 + random.int(9)) + randomDigits(random, random.int(20));
  return random.chance(0.8) ? `${integer}.${randomDigits(random, 1 + random.int(random.chance(0.5) ? 4 : 30))}` : integer;
}

function fieldValue(f: (typeof SALES_EVENT_FIELDS)[number], random: Random): Buffer {
  switch (f.type) {
    case 'long':
    case 'integer':
      return bytes(
        random.chance(0.3) ? String(1 + random.int(f.type === 'long' ? 2 ** 53 - 1 : 2 ** 31 - 1)) : random.pick(INTEGER_VALUES),
      );
    case 'double':
      return bytes(random.chance(0.5) ? randomAmount(random) : random.pick(AMOUNT_VALUES));
    case 'timestamp':
      return bytes(random.pick(TIMESTAMP_VALUES));
    case 'string':
      if (f.check === 'segment') return bytes(random.pick(SEGMENT_VALUES));
      if (random.chance(0.2)) return bytes('"Jean', random.pick(INVALID_UTF8), random.chance(0.5) ? ' Dupont"' : '"');
      return bytes(random.pick(STRING_VALUES));
  }
}

type Member = { key: Buffer; value: Buffer };

const WHITESPACE = [' ', '\t', '\n', '\r', '  \n  '];
const NOT_WHITESPACE = ['\f', '\v', '\u00a0', '\ufeff', '\u2028'];

/** Serialises members with random whitespace around every token; `strayRate`: how often a character JSON does not count as whitespace is used instead. */
function serialize(members: Member[], random: Random, whitespaceRate: number, strayRate = 0): Buffer {
  const ws = () =>
    random.chance(whitespaceRate) ? (random.chance(strayRate) ? random.pick(NOT_WHITESPACE) : random.pick(WHITESPACE)) : '';
  const parts: Buffer[] = [bytes(ws(), '{', ws())];
  members.forEach(({ key, value }, k) => {
    if (k > 0) parts.push(bytes(ws(), ',', ws()));
    parts.push(key, bytes(ws(), ':', ws()), value);
  });
  parts.push(bytes(ws(), '}', ws()));
  return Buffer.concat(parts);
}

/** A payload made by mutating a valid event: most stay on (or near) the fast path, many break one rule. */
function mutatedPayload(base: SalesEvent, random: Random): Buffer {
  const members: Member[] = SALES_EVENT_FIELDS.map((f) => ({
    key: bytes(JSON.stringify(f.name)),
    value: bytes(JSON.stringify(base[f.name])),
  }));
  const mutations = random.int(4);
  for (let m = 0; m < mutations; m++) {
    const at = random.int(members.length + 1);
    switch (random.int(9)) {
      case 0: // reorder keys
        for (let k = members.length - 1; k > 0; k--) {
          const j = random.int(k + 1);
          [members[k], members[j]] = [members[j], members[k]];
        }
        break;
      case 1: // an unknown field
        members.splice(at, 0, { key: bytes(random.pick(EXTRA_KEYS)), value: bytes(random.pick(EXTRA_VALUES)) });
        break;
      case 2: {
        // a contract field again, same or other value
        const f = random.pick(SALES_EVENT_FIELDS);
        members.splice(at, 0, {
          key: bytes(JSON.stringify(f.name)),
          value: random.chance(0.5) ? bytes(JSON.stringify(base[f.name])) : fieldValue(f, random),
        });
        break;
      }
      case 3: // a missing field
        members.splice(random.int(members.length), 1);
        break;
      case 4:
      case 5:
      case 6: {
        // another value for a contract field
        const k = random.int(members.length);
        const f = SALES_EVENT_FIELDS.find((x) => bytes(JSON.stringify(x.name)).equals(members[k].key));
        if (f) members[k].value = fieldValue(f, random);
        break;
      }
      case 7: {
        // an escaped key (same name once decoded)
        const k = random.int(members.length);
        const name = members[k].key.toString().slice(1, -1);
        if (name.length > 0) members[k].key = bytes(`"\\u${name.charCodeAt(0).toString(16).padStart(4, '0')}${name.slice(1)}"`);
        break;
      }
      case 8: {
        // non-ASCII in a string value
        const k = random.int(members.length);
        if (members[k].value[0] === 0x22)
          members[k].value = bytes('"', random.chance(0.5) ? 'Sénégal ü ß 😀' : random.pick(INVALID_UTF8), members[k].value.subarray(1));
        break;
      }
    }
  }
  let payload = serialize(members, random, random.chance(0.5) ? 0.3 : 0, 0.03);
  switch (random.int(12)) {
    case 0: // truncated
      payload = payload.subarray(0, random.int(payload.length));
      break;
    case 1: // trailing garbage
      payload = Buffer.concat([payload, bytes(random.pick(['x', '}', ',', ' ', '\n', '{}', '0', '\u0000', 'null']))]);
      break;
    case 2: // not an object
      payload = random.pick([bytes('[', [...payload], ']'), bytes('null'), bytes('"x"'), bytes('42'), bytes(''), bytes('  '), bytes('[]')]);
      break;
    case 3: // a BOM or a character before the object
      payload = bytes(random.pick([[0xef, 0xbb, 0xbf], [0x0c], [0x78]]), [...payload]);
      break;
  }
  return payload;
}

function baseEvents(): SalesEvent[] {
  const events = simulatorEvents(200, 11);
  const [first] = events;
  events.push({ ...first, client_nom: 'Hans Müller', pays: 'Sénégal', montant: 0, segment: 'Entreprise' });
  events.push({ ...first, timestamp: '2024-12-12T10:15:23.123456+01:00', montant: 0.30000000000000004 });
  events.push({ ...first, vente_id: 2 ** 53 - 1, client_id: 2147483647, montant: 1e21 });
  events.push({ ...first, montant: 123456.7890123 });
  return events;
}

describe('JsDecoder differential fuzz against parseSalesMessage', () => {
  it('whenever scanPayload() returns a number, the reference accepts with the same values and event time', () => {
    const random = prng(20260126);
    const bases = baseEvents();
    const builder = new JsDecoder(16);
    const problems: string[] = [];
    let rows: Expected[] = [];
    const stats = { payloads: 0, referenceOk: 0, fastPath: 0, put: 0, dropped: 0 };
    const flush = () => {
      problems.push(...mismatches(builder.finish(), rows));
      rows = [];
    };
    for (let n = 0; n < 30000; n++) {
      const payload = mutatedPayload(random.pick(bases), random);
      const micros = builder.scanPayload(payload);
      const ref = parseSalesMessage(payload);
      stats.payloads++;
      if (ref.ok) stats.referenceOk++;
      if (micros !== undefined) {
        stats.fastPath++;
        if (!ref.ok) {
          problems.push(`fast path accepted what the reference refuses (${ref.message}): ${JSON.stringify(payload.toString('latin1'))}`);
          continue;
        }
        if (BigInt(micros) !== ref.eventTimeMicros)
          problems.push(`micros ${micros}, reference ${ref.eventTimeMicros}: ${JSON.stringify(payload.toString('latin1'))}`);
      } else if (ref.ok) {
        stats.put++;
        builder.put(ref.event, ref.eventTimeMicros);
      } else continue;
      // Now and then leave the slot unkept, as the ingestor does for a late event: the next one overwrites it.
      if (random.chance(0.05)) {
        stats.dropped++;
        continue;
      }
      builder.keep();
      rows.push({ event: ref.event, micros: ref.eventTimeMicros, payload });
      if (rows.length === 1000) flush();
    }
    flush();
    expect(problems.slice(0, 20)).toEqual([]);
    // Not a vacuous run: both paths saw plenty of accepted payloads.
    expect(stats.fastPath).toBeGreaterThan(stats.payloads * 0.1);
    expect(stats.put).toBeGreaterThan(stats.payloads * 0.05);
  });

  it('decodes montant to the same double as JSON.parse, around the limits of the exact division (2^53, 22 decimals)', () => {
    const random = prng(7);
    const [event] = simulatorEvents(1);
    const [before, after] = JSON.stringify({ ...event, montant: 0.5 }).split('0.5');
    const boundary = [
      '9007199254740991',
      '9007199254740992',
      '9007199254740993',
      '900719925474099.1',
      '900719925474099.3',
      '0.9007199254740993',
      '0.1234567890123456789012',
      '0.12345678901234567890123',
      '0.0000000000000000000001',
      '0.00000000000000000000001',
      '0.000000000000000000000001',
      '1.7976931348623157' + '0'.repeat(290),
      '17976931348623159' + '0'.repeat(292),
      '0.' + '0'.repeat(322) + '5',
      '0.' + '0'.repeat(330) + '1',
    ];
    // The contract's bounds (MAX_MONTANT, whole cents) and amounts that read as whole cents only after rounding.
    const bounds = [
      '1000000',
      '1000000.00',
      '1000000.01',
      '999999.99',
      '0.01',
      '0.001',
      '12.345',
      '12.3400000000000000001',
      '0.30000000000000004',
    ];
    const amounts = [...boundary, ...bounds, ...Array.from({ length: 20000 }, () => randomAmount(random))];
    // Whole cents within the bounds, so that most amounts are accepted and the fast path is measured on them.
    const accepted = Array.from(
      { length: 20000 },
      () => `${random.int(1_000_000)}${random.chance(0.8) ? '.' + randomDigits(random, 1 + random.int(2)) : ''}`,
    );
    const builder = new JsDecoder();
    const wrong: string[] = [];
    let onFastPath = 0;
    let acceptedByReference = 0;
    for (const amount of [...amounts, ...accepted]) {
      const payload = Buffer.from(before + amount + after);
      const ref = parseSalesMessage(payload);
      if (ref.ok) acceptedByReference++;
      if (builder.scanPayload(payload) === undefined) continue;
      onFastPath++;
      builder.keep();
      const decoded = cell(builder.finish().columns.montant, 0);
      if (!ref.ok || !Object.is(decoded, ref.event.montant))
        wrong.push(`${amount}: ${String(decoded)} vs ${ref.ok ? ref.event.montant : ref.message}`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(acceptedByReference).toBeGreaterThan(accepted.length * 0.9);
    expect(onFastPath).toBeGreaterThan(acceptedByReference * 0.9);
  });

  it('keeps unmutated simulator payloads on the fast path, also with whitespace and reordered keys', () => {
    const random = prng(42);
    const builder = new JsDecoder();
    for (const event of simulatorEvents(500, 5)) {
      const members = SALES_EVENT_FIELDS.map((f) => ({ key: bytes(JSON.stringify(f.name)), value: bytes(JSON.stringify(event[f.name])) }));
      members.sort(() => random.next() - 0.5);
      const payload = serialize(members, random, 0.5);
      expect(builder.scanPayload(payload)).toBe(Number(reference(payload).micros));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// WasmDecoder: the WebAssembly scan of packed payloads, held to the JavaScript decoder
// ---------------------------------------------------------------------------------------------

/** Payloads packed as the ingestor packs a fetch: one buffer, bytes of neither between some of them, -1 for a null value. */
function pack(payloads: ReadonlyArray<Buffer | null>, random: Random): { bytes: Buffer; starts: Int32Array; lengths: Int32Array } {
  const parts: Buffer[] = [];
  const starts = new Int32Array(payloads.length);
  const lengths = new Int32Array(payloads.length);
  let at = 0;
  payloads.forEach((payload, i) => {
    if (random.chance(0.3)) {
      // Record framing or garbage between values: the scan must not read past a payload's end.
      const gap = bytes(random.pick(['}', '"', ',"x":1}', '\u0000', '{"vente_id":1', 'zz']));
      parts.push(gap);
      at += gap.length;
    }
    starts[i] = at;
    lengths[i] = payload === null ? -1 : payload.length;
    if (payload !== null) {
      parts.push(payload);
      at += payload.length;
    }
  });
  return { bytes: Buffer.concat(parts), starts, lengths };
}

/** Differences between two finished batches, cell by cell (empty when equal). */
function batchDifferences(
  actual: { numRows: number; columns: Record<string, ColumnData> },
  expected: { numRows: number; columns: Record<string, ColumnData> },
): string[] {
  const out: string[] = [];
  if (actual.numRows !== expected.numRows) return [`numRows ${actual.numRows}, expected ${expected.numRows}`];
  for (const f of SALES_EVENT_FIELDS)
    for (let row = 0; row < expected.numRows; row++) {
      const a = cell(actual.columns[f.name], row);
      const e = cell(expected.columns[f.name], row);
      if (!Object.is(a, e)) out.push(`row ${row} ${f.name}: ${String(a)}, decode() gave ${String(e)}`);
    }
  return out;
}

describe('WasmDecoder against JsDecoder', () => {
  /** Producer-layout payloads whose event times jump between seconds and back, and whose names vary past RecentStrings' size. */
  function producerLayoutPayload(base: SalesEvent, random: Random, newSecondRate: number): Buffer {
    const seconds = random.chance(newSecondRate) ? random.pick([1, 2, 60, 3600, -1]) : 0;
    const timestamp = new Date(Math.floor(START_MS / 1000) * 1000 + seconds * 1000 + random.int(1000))
      .toISOString()
      .replace(random.chance(0.1) ? 'Z' : '\u0000', '');
    const name = random.chance(0.3)
      ? `Client ${random.int(6_000)}${random.chance(0.1) ? ' Müller-Lüdenscheidt von und zu Oberhausen an der Ruhr, Sénégal 😀' : ''}`
      : base.client_nom;
    const payload = payloadOf({
      ...base,
      timestamp,
      client_nom: name,
      montant: random.chance(0.2) ? Number(randomAmount(random)) : base.montant,
    });
    if (!random.chance(0.01)) return payload;
    // Invalid UTF-8 in a name, in the producer's layout otherwise: the scan finds the string, which the contract refuses.
    const at = payload.indexOf('"client_nom":"') + '"client_nom":"'.length;
    return Buffer.concat([
      payload.subarray(0, at),
      Buffer.from(random.pick(INVALID_UTF8.filter((b) => b[0] !== 0xef))),
      payload.subarray(at),
    ]);
  }

  it('gives the JavaScript decoder’s result and values for every payload, through chunks, nulls, gaps and new seconds', () => {
    const random = prng(20261127);
    const bases = baseEvents();
    const byDecode = new JsDecoder(16);
    const byPacked = new WasmDecoder(16);
    const problems: string[] = [];
    let payloadCount = 0;
    const rowsTaken = countScannedRows(() => {
      for (let fetch = 0; fetch < 12; fetch++) {
        // Some fetches larger than a scan chunk (4096 rows); some of producer payloads only, which
        // the scan takes in long runs (so that a row can set a recent string another row of the run was found in).
        const count = fetch % 4 === 0 ? 4096 + random.int(3000) : 1 + random.int(2000);
        const producerOnly = fetch % 3 === 1;
        const payloads = Array.from({ length: count }, () => {
          if (random.chance(0.02)) return null;
          const base = random.pick(bases);
          if (producerOnly) return producerLayoutPayload(base, random, 0.001);
          return random.chance(0.6) ? producerLayoutPayload(base, random, 0.1) : mutatedPayload(base, random);
        });
        payloadCount += count;
        const { bytes: packed, starts, lengths } = pack(payloads, random);
        byPacked.begin(packed, starts, lengths);
        byDecode.begin(packed, starts, lengths);
        for (let i = 0; i < count; i++) {
          const expected = byDecode.decode(i);
          const actual = byPacked.decode(i);
          if (!Object.is(actual, expected)) {
            problems.push(
              `fetch ${fetch} row ${i}: ${String(actual)}, JsDecoder gave ${String(expected)}: ${JSON.stringify(payloads[i]?.toString('latin1'))}`,
            );
            continue;
          }
          if (expected === undefined) expect(byPacked.rejection).toEqual(byDecode.rejection);
          // As the ingestor does for a late event, leave some unkept.
          if (expected === undefined || random.chance(0.05)) continue;
          byDecode.keep();
          byPacked.keep();
        }
        problems.push(...batchDifferences(byPacked.finish(), byDecode.finish()));
      }
    });
    expect(problems.slice(0, 20)).toEqual([]);
    // Not vacuous: the scan took most producer-layout payloads.
    expect(rowsTaken).toBeGreaterThan(payloadCount * 0.3);
  });

  it('does not take a string from a recent-strings entry replaced after the scan found it there', () => {
    // Two names in the same RecentStrings entry (FNV-1a of their bytes, folded to 12 bits as entryOf does).
    const entryOf = (text: string) => {
      let hash = 0x811c9dc5;
      for (const byte of Buffer.from(text)) hash = Math.imul(hash ^ byte, 0x01000193);
      return (hash ^ (hash >>> 15)) & 4095;
    };
    const first = 'Client 0';
    let second = '';
    for (let k = 1; second === ''; k++) if (entryOf(`Client ${k}`) === entryOf(first)) second = `Client ${k}`;
    const [event] = simulatorEvents(1);
    const builder = new WasmDecoder();
    const run = (...names: string[]) => {
      const {
        bytes: packed,
        starts,
        lengths,
      } = pack(
        names.map((client_nom) => payloadOf({ ...event, client_nom })),
        prng(1),
      );
      builder.begin(packed, starts, lengths);
      names.forEach((_, i) => {
        expect(builder.decode(i)).toBeDefined();
        builder.keep();
      });
    };
    run(first, first); // the second one found among the recent strings
    // One scan takes both rows: `first` is found in its entry, which decoding `second` then takes over.
    run(second, first);
    const { columns } = builder.finish();
    expect([0, 1, 2, 3].map((row) => cell(columns.client_nom, row))).toEqual([first, first, second, first]);
  });

  it('reads payloads larger than the scan’s memory, and strings longer than the copies it keeps', () => {
    const [event] = simulatorEvents(1);
    const payloads = Array.from({ length: 40 }, (_, i) => payloadOf({ ...event, client_nom: `${'Ü'.repeat(50_000 + i)}` }));
    payloads.push(...payloads.slice(0, 5)); // the same long names again: found among the recent strings by the JavaScript
    const { bytes: packed, starts, lengths } = pack(payloads, prng(3));
    const byPacked = new WasmDecoder();
    const byDecode = new JsDecoder();
    byPacked.begin(packed, starts, lengths);
    payloads.forEach((payload, i) => {
      expect(byPacked.decode(i)).toBe(byDecode.scanPayload(payload));
      byPacked.keep();
      byDecode.keep();
    });
    expect(batchDifferences(byPacked.finish(), byDecode.finish())).toEqual([]);
  });
});
