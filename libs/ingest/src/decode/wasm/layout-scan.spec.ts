import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LayoutScan, SPAN_INTS } from './layout-scan';
import { LAYOUT_SCAN_SOURCE_SHA256 } from './layout-scan.wasm';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A two-field layout: `{"n":` an integer up to 999, then `,"s":` a string, then `}`. */
const layout = {
  around: [encode('{"n":'), encode(',"s":'), encode('}')],
  readers: Uint8Array.of(1, 4),
  maxima: [999, 0],
  recentEntries: 4096,
};

function packed(payloads: Array<string | null>): [Uint8Array, Int32Array, Int32Array] {
  const starts = new Int32Array(payloads.length);
  const lengths = new Int32Array(payloads.length);
  let text = '';
  payloads.forEach((payload, i) => {
    starts[i] = text.length;
    lengths[i] = payload === null ? -1 : payload.length;
    text += payload ?? '';
  });
  return [encode(text), starts, lengths];
}

describe('LayoutScan', () => {
  it('runs the module compiled from layout-scan.c as it is now (regenerate with `npm run build:wasm`)', () => {
    const source = readFileSync(join(__dirname, 'layout-scan.c'));
    expect(createHash('sha256').update(source).digest('hex')).toBe(LAYOUT_SCAN_SOURCE_SHA256);
  });

  it('takes rows in the layout until the first it refuses, with their numbers and string spans', () => {
    const scan = new LayoutScan(layout);
    const [bytes, starts, lengths] = packed([
      '{"n":7,"s":"ab"}',
      '{"n":12,"s":""}',
      '{"n":1000,"s":"x"}',
      '{"n":5,"s":"y"}',
      null,
      '{"n":5, "s":"y"}',
    ]);
    scan.begin(bytes, starts, lengths);
    expect(scan.scan(0)).toBe(2); // 1000 is over the field's maximum
    expect(scan.chunkStart).toBe(0);
    expect([scan.numbers[0], scan.numbers[2]]).toEqual([7, 12]);
    const span = SPAN_INTS * 1;
    expect(Buffer.from(bytes.subarray(scan.spans[span], scan.spans[span + 1])).toString()).toBe('ab');
    expect(scan.spans[span + 3]).toBe(-1); // not among the recent strings
    expect(scan.scan(3)).toBe(4); // a null value
    expect(scan.scan(5)).toBe(5); // whitespace: another layout
  });

  it('finds a string in the entry remembered for it, and forgets entries too long to copy', () => {
    const scan = new LayoutScan(layout);
    const [bytes, starts, lengths] = packed(['{"n":1,"s":"France"}', `{"n":1,"s":"${'x'.repeat(61)}"}`]);
    scan.begin(bytes, starts, lengths);
    expect(scan.scan(0)).toBe(2);
    const spanOf = (row: number) => SPAN_INTS * (row * 2 + 1);
    const entry = (row: number) => scan.spans[spanOf(row) + 3];
    const hash = (row: number) => scan.spans[spanOf(row) + 2];
    const entryOf = (h: number) => (h ^ (h >>> 15)) & 4095; // RecentStrings.entryOf
    scan.remember(1, entryOf(hash(0)), encode('France'));
    scan.remember(1, entryOf(hash(1)), encode('x'.repeat(61)));
    scan.scan(0);
    expect(entry(0)).toBe(entryOf(hash(0)));
    expect(entry(1)).toBe(-1);
    scan.remember(1, entryOf(hash(0)), encode('Franco')); // the entry now holds other bytes
    scan.scan(0);
    expect(entry(0)).toBe(-1);
  });

  it('reads a layout with whitespace, fields in another order and a suffix, and skips escapes within strings', () => {
    const spaced = {
      ...layout,
      around: [encode('{"s": '), encode(', "n": '), encode('}\n')],
      readers: Uint8Array.of(4, 1),
      maxima: [0, 999],
    };
    const scan = new LayoutScan(spaced);
    const [bytes, starts, lengths] = packed([
      '{"s": "a\\"b\\u00e9", "n": 7}\n',
      '{"s": "x", "n": 7}',
      '{"s": "x\\',
      '{"s": "\\\u0001", "n": 1}\n',
    ]);
    scan.begin(bytes, starts, lengths);
    expect(scan.scan(0)).toBe(1); // the next lacks the suffix
    expect(scan.numbers[1]).toBe(7);
    expect(Buffer.from(bytes.subarray(scan.spans[0], scan.spans[1])).toString()).toBe('a\\"b\\u00e9');
    expect(scan.scan(2)).toBe(2); // an escape cut by the payload's end
    expect(scan.scan(3)).toBe(3); // an escaped control character
  });

  it('refuses a layout it cannot hold, or recent strings of another size', () => {
    expect(() => new LayoutScan({ ...layout, recentEntries: 1024 })).toThrow(/RecentStrings of 1024 entries/);
    const many = Array.from({ length: 34 }, () => encode(',"a":'));
    expect(
      () => new LayoutScan({ around: many, readers: new Uint8Array(33), maxima: many.slice(1).map(() => 9), recentEntries: 4096 }),
    ).toThrow(/cannot hold 33 fields/);
  });
});
