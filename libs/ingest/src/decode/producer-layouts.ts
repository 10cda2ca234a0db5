import type { SalesEvent } from '@app/schemas';

/**
 * How real producers write a sales event, for the tests and benchmarks that hold the decoders'
 * fast path to them (bench:decode, bench:ingest LAYOUT=...). The decoders learn any layout; these
 * are the ones named as targets.
 */
export const PRODUCER_LAYOUT_NAMES = ['producer', 'python', 'json-stringify', 'jackson'] as const;
export type ProducerLayoutName = (typeof PRODUCER_LAYOUT_NAMES)[number];

/** A JavaScript producer that builds the object in its own order: JSON.stringify's layout (no whitespace). */
const JS_ORDER = [
  'vente_id',
  'timestamp',
  'client_id',
  'client_nom',
  'pays',
  'segment',
  'produit_id',
  'produit_nom',
  'categorie',
  'quantite',
  'montant',
] as const;
/** A Java class's fields in declared order, as Jackson writes them by default (no whitespace). */
const JAVA_ORDER = [
  'vente_id',
  'client_id',
  'client_nom',
  'segment',
  'pays',
  'produit_id',
  'produit_nom',
  'categorie',
  'montant',
  'quantite',
  'timestamp',
] as const;

/** The event as `layout`'s producer writes it. */
export function serializeSale(event: SalesEvent, layout: ProducerLayoutName): string {
  switch (layout) {
    case 'producer':
      return JSON.stringify(event);
    case 'python':
      return pythonJsonDumps(event);
    case 'json-stringify':
      return JSON.stringify(Object.fromEntries(JS_ORDER.map((k) => [k, event[k]])));
    case 'jackson':
      return jacksonDefault(event);
  }
}

/**
 * Python's json.dumps(event) with its defaults, as the seed's producer writes it: ", " and ": "
 * between fields, non-ASCII characters as \uXXXX escapes (ensure_ascii), the event time as
 * datetime.isoformat() of a naive UTC datetime (microseconds, no zone).
 */
function pythonJsonDumps(event: SalesEvent): string {
  const timestamp = event.timestamp.replace(/Z$/, '').replace(/\.(\d+)$/, (_, digits: string) => `.${digits.padEnd(6, '0')}`);
  const members = Object.entries({ ...event, timestamp }).map(([key, value]) => `${JSON.stringify(key)}: ${asciiJson(value)}`);
  return `{${members.join(', ')}}`;
}

function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Jackson's default: declared order, no whitespace, doubles as Java prints them (a whole amount as `5.0`). */
function jacksonDefault(event: SalesEvent): string {
  const members = JAVA_ORDER.map((key) => {
    const value = event[key];
    const text = key === 'montant' && Number.isInteger(value) ? `${value as number}.0` : JSON.stringify(value);
    return `${JSON.stringify(key)}:${text}`;
  });
  return `{${members.join(',')}}`;
}
