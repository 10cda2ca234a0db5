import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { DeltaTable, withConnection } from '@app/delta';
import { BRONZE_TABLE, MAX_MONTANT, MAX_QUANTITE, parseSalesMessage, SalesEvent, SEGMENTS, tableLocation } from '@app/schemas';
import { clientDayAggregatesSql, countryAggregatesSql, customerContributionsSql, customerTotalsSql, segmentAggregatesSql } from '@app/silver';

/**
 * The contract's bounds on `montant` and `quantite` (libs/schemas/src/sales-event.ts) hold what
 * silver needs: any sale the validator accepts aggregates without error, and to the exact cent,
 * through silver's own SQL (integer cents as BIGINT) on a real Delta table read by DuckDB.
 */

const THRESHOLDS = { premium: 1000, standard: 200 };
const MAX_CENTS = MAX_MONTANT * 100;
const DAYS = ['2026-12-01', '2026-12-02'];

/** Cents and quantities drawn mostly at and next to the bounds. */
const cents = fc.oneof(fc.constantFrom(0, 1, 99, MAX_CENTS - 1, MAX_CENTS), fc.integer({ min: 0, max: MAX_CENTS }));
const quantity = fc.oneof(fc.constantFrom(1, MAX_QUANTITE - 1, MAX_QUANTITE), fc.integer({ min: 1, max: MAX_QUANTITE }));

const sale = fc.record({
  vente_id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  client_id: fc.integer({ min: 1, max: 3 }),
  produit_id: fc.integer({ min: 1, max: 4 }),
  day: fc.constantFrom(...DAYS),
  second: fc.integer({ min: 0, max: 86_399 }),
  quantite: quantity,
  cents,
});

// One identity per client: a client day carries the identity of its last sale (silver's rule for
// identity changes, tested in silver's own specs), which is beside the point of exact cents here.
const COUNTRIES = ['France', 'Sénégal', 'Canada'];
const paysOf = (clientId: number): string => COUNTRIES[clientId % COUNTRIES.length];
const segmentOf = (clientId: number): string => SEGMENTS[clientId % SEGMENTS.length];

type Sale = typeof sale extends fc.Arbitrary<infer T> ? T : never;

/** The payload a producer would send (montant as JSON writes the double nearest to the cents), parsed by the contract's validator. */
function accepted(s: Sale): SalesEvent {
  const event = {
    vente_id: s.vente_id,
    // One name per client, as silver groups by the client's identity.
    client_id: s.client_id,
    produit_id: s.produit_id,
    timestamp: new Date(Date.parse(`${s.day}T00:00:00Z`) + s.second * 1000).toISOString(),
    quantite: s.quantite,
    montant: s.cents / 100,
    client_nom: `Client ${s.client_id}`,
    produit_nom: `Produit ${s.produit_id}`,
    categorie: 'Test',
    pays: paysOf(s.client_id),
    segment: segmentOf(s.client_id),
  };
  const parsed = parseSalesMessage(Buffer.from(JSON.stringify(event)));
  if (!parsed.ok) throw new Error(`the validator refused a sale within the bounds: ${parsed.message}`);
  return parsed.event;
}

/** Exact sums of cents and quantities by a key, in BigInt. */
function totals(sales: Sale[], key: (s: Sale) => string): Map<string, { cents: bigint; quantite: bigint; count: number }> {
  const out = new Map<string, { cents: bigint; quantite: bigint; count: number }>();
  for (const s of sales) {
    const t = out.get(key(s)) ?? { cents: 0n, quantite: 0n, count: 0 };
    t.cents += BigInt(s.cents);
    t.quantite += BigInt(s.quantite);
    t.count++;
    out.set(key(s), t);
  }
  return out;
}

/** Writes the sales to a new bronze table and runs silver's three aggregations over it. */
async function aggregate(sales: Sale[]): Promise<{ clients: Record<string, unknown>[]; countries: Record<string, unknown>[]; segments: Record<string, unknown>[] }> {
  const bronze = await DeltaTable.openOrCreate(tableLocation(mkdtempSync(path.join(os.tmpdir(), 'contract-bounds-')), BRONZE_TABLE), BRONZE_TABLE);
  await bronze.append({
    rows: sales.map((s, i) => {
      const e = accepted(s);
      return { ...e, vente_id: BigInt(e.vente_id), kafka_topic: 'ventes_stream', kafka_partition: 0, kafka_offset: BigInt(i), date_ingestion: e.timestamp, jour: e.timestamp.slice(0, 10) };
    }),
  });
  const clientsSql = clientDayAggregatesSql((await bronze.scan()).sql, THRESHOLDS);
  // As silver builds them: the derived tables roll up per-customer totals of the client days.
  const customersSql = customerTotalsSql(customerContributionsSql(clientsSql));
  return withConnection(async (conn) => {
    const read = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    return {
      clients: await read(`SELECT client_id, strftime(jour, '%Y-%m-%d') AS jour, total_depense, total_quantite, nb_achats FROM (${clientsSql})`),
      countries: await read(`SELECT pays, revenue_total, items_sold FROM (${countryAggregatesSql(customersSql)})`),
      segments: await read(`SELECT segment, revenue_total, total_transactions FROM (${segmentAggregatesSql(customersSql)})`),
    };
  });
}

/** The euros silver must give for exact cents: the double nearest to them (cents / 100, rounded once). */
const euros = (c: bigint): number => Number(c) / 100;

describe('contract bounds: every accepted sale aggregates exactly in silver (property test, real Delta + DuckDB)', () => {
  it('sums random sales at the bounds to the exact cent per client day, country and segment, without error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(sale, { minLength: 1, maxLength: 300 }), async (sales) => {
        const { clients, countries, segments } = await aggregate(sales);
        const byClientDay = totals(sales, (s) => `${s.client_id}|${s.day}`);
        const got = new Map<string, { cents: number; quantite: bigint; count: bigint }>();
        for (const r of clients) {
          const key = `${String(r.client_id)}|${String(r.jour)}`;
          const g = got.get(key) ?? { cents: 0, quantite: 0n, count: 0n };
          expect(Number.isInteger(Math.round((r.total_depense as number) * 100))).toBe(true);
          g.cents += Math.round((r.total_depense as number) * 100);
          g.quantite += r.total_quantite as bigint;
          g.count += r.nb_achats as bigint;
          got.set(key, g);
        }
        expect(new Set(got.keys())).toEqual(new Set(byClientDay.keys()));
        for (const [key, t] of byClientDay) expect([key, got.get(key)]).toEqual([key, { cents: Number(t.cents), quantite: t.quantite, count: BigInt(t.count) }]);

        const byCountry = totals(sales, (s) => paysOf(s.client_id));
        expect(countries.map((r) => [r.pays, r.revenue_total, r.items_sold])).toEqual(
          [...byCountry].sort(([a], [b]) => (a < b ? -1 : 1)).map(([pays, t]) => [pays, euros(t.cents), t.quantite]),
        );
        const bySegment = totals(sales, (s) => segmentOf(s.client_id));
        expect(segments.map((r) => [r.segment, r.revenue_total, r.total_transactions])).toEqual(
          [...bySegment].sort(([a], [b]) => (a < b ? -1 : 1)).map(([segment, t]) => [segment, euros(t.cents), BigInt(t.count)]),
        );
      }),
      { numRuns: 20 },
    );
  }, 300000);

  it('sums thousands of sales at the maximum amount and quantity of one client day exactly', async () => {
    const n = 5000;
    const sales: Sale[] = Array.from({ length: n }, (_, i) => ({
      vente_id: i + 1,
      client_id: 1,
      produit_id: 1 + (i % 4),
      day: DAYS[0],
      second: i % 86_400,
      quantite: MAX_QUANTITE,
      cents: MAX_CENTS,
    }));
    const { clients, countries } = await aggregate(sales);
    expect(clients).toEqual([{ client_id: 1, jour: DAYS[0], total_depense: euros(BigInt(n) * BigInt(MAX_CENTS)), total_quantite: BigInt(n * MAX_QUANTITE), nb_achats: BigInt(n) }]);
    expect(countries).toEqual([{ pays: paysOf(1), revenue_total: n * MAX_MONTANT, items_sold: BigInt(n * MAX_QUANTITE) }]);
  }, 120000);

  it('refuses, naming the field, what lies beyond the bounds: silver never sees it', () => {
    const base = accepted({ vente_id: 1, client_id: 1, produit_id: 1, day: DAYS[0], second: 0, quantite: 1, cents: 100 });
    const refused = (field: string, raw: string) => parseSalesMessage(Buffer.from(JSON.stringify(base).replace(new RegExp(`"${field}":[^,]*`), `"${field}":${raw}`)));
    for (const raw of ['1000000.01', '1e300', '1e400', '-0.01', '0.001', '12.345', '"NaN"', '-1e400']) {
      expect(refused('montant', raw)).toMatchObject({ ok: false, message: expect.stringMatching(/^montant: expected /) });
    }
    for (const raw of [String(MAX_QUANTITE + 1), '2147483647', '0']) {
      expect(refused('quantite', raw)).toMatchObject({ ok: false, reason: 'schema_violation', message: expect.stringMatching(/^quantite: expected /) });
    }
    expect(refused('montant', 'NaN')).toMatchObject({ ok: false, reason: 'malformed_json' });
  });
});
