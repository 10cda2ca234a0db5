import { parseSalesMessage, SalesEvent, validateSalesEvent } from '@app/schemas';

/** The event of the seed's ARCHITECTURE.md, "Data Structure". */
const seedEvent = (): SalesEvent => ({
  vente_id: 1,
  client_id: 1,
  produit_id: 101,
  timestamp: '2024-12-12T10:15:23.123456',
  quantite: 2,
  montant: 1799.98,
  client_nom: 'Jean Dupont',
  produit_nom: 'Ordinateur portable',
  categorie: 'Électronique',
  pays: 'France',
  segment: 'Particulier',
});

const SEED_MICROS = BigInt(Date.UTC(2024, 11, 12, 10, 15, 23)) * 1000n + 123456n;

function violationOf(value: unknown) {
  const r = validateSalesEvent(value);
  if (r.ok) throw new Error('expected a violation');
  return r;
}

describe('validateSalesEvent', () => {
  it('accepts the seed-shaped event, returning it and its event time in UTC microseconds', () => {
    const r = validateSalesEvent(seedEvent());
    expect(r).toEqual({ ok: true, event: seedEvent(), eventTimeMicros: SEED_MICROS });
  });

  it('takes a timestamp without an offset as UTC, and honours explicit offsets', () => {
    const at = (timestamp: string) => {
      const r = validateSalesEvent({ ...seedEvent(), timestamp });
      if (!r.ok) throw new Error(r.message);
      return r.eventTimeMicros;
    };
    expect(at('2024-12-12T10:15:23.123456')).toBe(SEED_MICROS);
    expect(at('2024-12-12T10:15:23.123456Z')).toBe(SEED_MICROS);
    expect(at('2024-12-12 10:15:23.123456')).toBe(SEED_MICROS);
    expect(at('2024-12-12T11:15:23.123456+01:00')).toBe(SEED_MICROS);
    expect(at('2024-12-12T05:15:23.123456-0500')).toBe(SEED_MICROS);
    expect(at('2024-12-12T10:15:23')).toBe(SEED_MICROS - 123456n);
    expect(at('2024-12-12T10:15:23.5')).toBe(SEED_MICROS - 123456n + 500000n);
  });

  it('accepts montant 0, Entreprise and unknown extra fields', () => {
    expect(validateSalesEvent({ ...seedEvent(), montant: 0, segment: 'Entreprise', promo: 'X' }).ok).toBe(true);
  });

  const cases: Array<[string, (e: Record<string, unknown>) => void, { field: string; expected: string; got: string }]> = [
    ['a missing field', (e) => delete e.produit_id, { field: 'produit_id', expected: 'a 32-bit integer', got: 'nothing (field missing)' }],
    ['a null field', (e) => (e.client_nom = null), { field: 'client_nom', expected: 'a string', got: 'null' }],
    ['a string where a number is due', (e) => (e.montant = '1799.98'), { field: 'montant', expected: 'a number', got: 'string "1799.98"' }],
    ['a fractional id', (e) => (e.vente_id = 1.5), { field: 'vente_id', expected: 'an integer', got: 'number 1.5' }],
    ['a string id', (e) => (e.vente_id = '1'), { field: 'vente_id', expected: 'an integer', got: 'string "1"' }],
    ['an integer beyond 32 bits', (e) => (e.quantite = 2 ** 31), { field: 'quantite', expected: 'a 32-bit integer', got: 'number 2147483648' }],
    ['a zero quantity', (e) => (e.quantite = 0), { field: 'quantite', expected: 'a positive integer', got: 'number 0' }],
    ['a bad segment', (e) => (e.segment = 'Professionnel'), { field: 'segment', expected: 'one of Particulier, Entreprise', got: 'string "Professionnel"' }],
    ['a bad timestamp', (e) => (e.timestamp = '12/12/2024 10:15'), { field: 'timestamp', expected: 'an ISO-8601 timestamp', got: 'string "12/12/2024 10:15"' }],
    ['an impossible date', (e) => (e.timestamp = '2024-02-30T10:00:00'), { field: 'timestamp', expected: 'an ISO-8601 timestamp', got: 'string "2024-02-30T10:00:00"' }],
    ['an impossible hour', (e) => (e.timestamp = '2024-12-12T24:00:00'), { field: 'timestamp', expected: 'an ISO-8601 timestamp', got: 'string "2024-12-12T24:00:00"' }],
    ['a numeric timestamp', (e) => (e.timestamp = 1734000000), { field: 'timestamp', expected: 'an ISO-8601 timestamp', got: 'number 1734000000' }],
    ['a negative montant', (e) => (e.montant = -5), { field: 'montant', expected: 'a non-negative amount', got: 'number -5' }],
    ['an infinite montant', (e) => (e.montant = Infinity), { field: 'montant', expected: 'a number', got: 'number Infinity' }],
    ['a montant above MAX_MONTANT', (e) => (e.montant = 1e300), { field: 'montant', expected: 'an amount of at most 1000000', got: 'number 1e+300' }],
    ['a montant one cent above MAX_MONTANT', (e) => (e.montant = 1000000.01), { field: 'montant', expected: 'an amount of at most 1000000', got: 'number 1000000.01' }],
    ['a montant in fractions of a cent', (e) => (e.montant = 12.345), { field: 'montant', expected: 'an amount with at most 2 decimals (whole cents)', got: 'number 12.345' }],
    ['a NaN montant', (e) => (e.montant = NaN), { field: 'montant', expected: 'a number', got: 'number NaN' }],
    ['a quantite above MAX_QUANTITE', (e) => (e.quantite = 10001), { field: 'quantite', expected: 'an integer from 1 to 10000', got: 'number 10001' }],
    ['a blank name', (e) => (e.pays = '   '), { field: 'pays', expected: 'a non-empty string', got: 'string "   "' }],
    ['an object in a string field', (e) => (e.categorie = { a: 1 }), { field: 'categorie', expected: 'a string', got: 'object {"a":1}' }],
  ];

  it.each(cases)('reports %s with field, expected and got', (_name, corrupt, violation) => {
    const e = seedEvent() as unknown as Record<string, unknown>;
    corrupt(e);
    const r = violationOf(e);
    expect(r.violation).toEqual(violation);
    expect(r.message).toBe(`${violation.field}: expected ${violation.expected}, got ${violation.got}`);
  });

  it('accepts the bounds themselves and amounts that are whole cents', () => {
    for (const [montant, quantite] of [[1_000_000, 10_000], [0, 1], [0.01, 1], [999_999.99, 2], [1799.98, 5]]) {
      expect(validateSalesEvent({ ...seedEvent(), montant, quantite }).ok).toBe(true);
    }
  });

  it('reports the first violation in contract order', () => {
    const r = violationOf({ ...seedEvent(), segment: 'x', client_id: -1 });
    expect(r.violation.field).toBe('client_id');
  });

  it.each([
    [42, 'number 42'],
    ['text', 'string "text"'],
    [null, 'null'],
    [[1, 2], 'array [1,2]'],
  ])('refuses a non-object message %p', (value, got) => {
    expect(violationOf(value).violation).toEqual({ field: '(message)', expected: 'a JSON object', got });
  });

  it('cuts a long offending value in the report', () => {
    const r = violationOf({ ...seedEvent(), segment: 'x'.repeat(200) });
    expect(r.violation.got.length).toBeLessThan(80);
    expect(r.violation.got.endsWith('…')).toBe(true);
  });
});

describe('parseSalesMessage', () => {
  it('decodes and validates a Kafka value (Buffer or string)', () => {
    const json = JSON.stringify(seedEvent());
    expect(parseSalesMessage(Buffer.from(json, 'utf8'))).toEqual({ ok: true, event: seedEvent(), eventTimeMicros: SEED_MICROS });
    expect(parseSalesMessage(json)).toEqual({ ok: true, event: seedEvent(), eventTimeMicros: SEED_MICROS });
  });

  it('keeps non-ASCII text intact', () => {
    const r = parseSalesMessage(Buffer.from(JSON.stringify(seedEvent()), 'utf8'));
    expect(r.ok && r.event.categorie).toBe('Électronique');
  });

  it('reports malformed JSON as malformed_json', () => {
    const r = parseSalesMessage('{"vente_id": 1,');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe('malformed_json');
    expect(r.message).toMatch(/^invalid JSON: /);
  });

  it('reports a null (tombstone) value as malformed_json', () => {
    expect(parseSalesMessage(null)).toEqual({ ok: false, reason: 'malformed_json', message: 'empty message (null value)' });
  });

  it('reports valid JSON that is not an object as schema_violation', () => {
    expect(parseSalesMessage('[1,2,3]')).toEqual({ ok: false, reason: 'schema_violation', message: '(message): expected a JSON object, got array [1,2,3]' });
    expect(parseSalesMessage('"hello"')).toEqual({ ok: false, reason: 'schema_violation', message: '(message): expected a JSON object, got string "hello"' });
  });

  it('reports contract violations as schema_violation with the precise message', () => {
    expect(parseSalesMessage(JSON.stringify({ ...seedEvent(), montant: -1 }))).toEqual({
      ok: false,
      reason: 'schema_violation',
      message: 'montant: expected a non-negative amount, got number -1',
    });
    const { segment: _dropped, ...noSegment } = seedEvent();
    expect(parseSalesMessage(JSON.stringify(noSegment))).toEqual({
      ok: false,
      reason: 'schema_violation',
      message: 'segment: expected a string, got nothing (field missing)',
    });
  });
});

describe('parseSalesMessage and UTF-8', () => {
  it('quarantines a payload that is not valid UTF-8 as malformed_json, even where JSON.parse would see U+FFFD', () => {
    const [before, after] = JSON.stringify(seedEvent()).split('Jean Dupont');
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
      const payload = Buffer.concat([Buffer.from(before), Buffer.from(bad), Buffer.from(after)]);
      expect(parseSalesMessage(payload)).toEqual({ ok: false, reason: 'malformed_json', message: 'invalid JSON: the payload is not valid UTF-8' });
    }
    expect(parseSalesMessage(Buffer.from(JSON.stringify({ ...seedEvent(), client_nom: 'Zoé 😀' }))).ok).toBe(true);
  });
});
