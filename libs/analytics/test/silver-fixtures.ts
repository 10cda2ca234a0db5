/**
 * Silver tables made by hand for the analytics tests and the gateway benchmark: client-day
 * rows built from explicit purchases, and the country and segment tables derived from them the
 * way ARCHITECTURE.md defines them (so the three tables agree, as the silver job's do).
 */
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable, Row } from '@app/delta';
import { CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE, SpendingTier, TableDefinition, tableLocation } from '@app/schemas';

export interface Client {
  client_id: number;
  client_nom: string;
  pays: string;
  segment: string;
}

export interface Purchase {
  produit_id: number;
  quantite: number;
  montant: number;
}

/** Fixture-only spending tiers by a day's spend; the real thresholds belong to the silver job. */
export function fixtureTier(totalDepense: number): SpendingTier {
  return totalDepense >= 500 ? 'Premium' : totalDepense >= 100 ? 'Standard' : 'Economy';
}

/** One ventes_aggreges row: a client's purchases of one day, aggregated. */
export function clientDay(client: Client, jour: string, purchases: Purchase[]): Row {
  if (purchases.length === 0) throw new Error('a client-day needs at least one purchase');
  const amounts = purchases.map((p) => p.montant);
  const total = amounts.reduce((a, b) => a + b, 0);
  return {
    ...client,
    jour,
    total_quantite: purchases.reduce((n, p) => n + p.quantite, 0),
    total_depense: total,
    nb_achats: purchases.length,
    panier_moyen: total / purchases.length,
    achat_min: Math.min(...amounts),
    achat_max: Math.max(...amounts),
    nb_produits_distincts: new Set(purchases.map((p) => p.produit_id)).size,
    est_client_fidele: purchases.length >= 2,
    segment_depense: fixtureTier(total),
  };
}

function groupBy(rows: readonly Row[], key: string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const group = groups.get(String(r[key]));
    if (group) group.push(r);
    else groups.set(String(r[key]), [r]);
  }
  return groups;
}

const sum = (rows: readonly Row[], column: string): number => rows.reduce((n, r) => n + Number(r[column]), 0);
const distinct = (rows: readonly Row[], column: string): number => new Set(rows.map((r) => r[column])).size;

/** ventes_par_pays rows from client-day rows. */
export function countryRows(clientDays: readonly Row[]): Row[] {
  return [...groupBy(clientDays, 'pays')].map(([pays, rows]) => ({
    pays,
    total_transactions: sum(rows, 'nb_achats'),
    revenue_total: sum(rows, 'total_depense'),
    transaction_moyenne: sum(rows, 'total_depense') / sum(rows, 'nb_achats'),
    items_sold: sum(rows, 'total_quantite'),
    unique_customers: distinct(rows, 'client_id'),
  }));
}

/** ventes_par_segment rows from client-day rows. */
export function segmentRows(clientDays: readonly Row[]): Row[] {
  return [...groupBy(clientDays, 'segment')].map(([segment, rows]) => ({
    segment,
    total_transactions: sum(rows, 'nb_achats'),
    revenue_total: sum(rows, 'total_depense'),
    transaction_moyenne: sum(rows, 'total_depense') / sum(rows, 'nb_achats'),
    unique_customers: distinct(rows, 'client_id'),
    countries_count: distinct(rows, 'pays'),
  }));
}

export function tempLakehouse(prefix = 'analytics-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function writeTable(root: string, def: TableDefinition, rows: Row[], mode: 'create' | 'overwrite'): Promise<number> {
  const uri = tableLocation(root, def);
  const table = mode === 'create' ? await DeltaTable.create(uri, { schema: def.schema, partitionColumns: def.partitionColumns }) : await DeltaTable.open(uri);
  if (mode === 'create' && rows.length === 0) return table.version;
  return (await (mode === 'create' ? table.append({ rows }) : table.overwrite({ rows }))).version;
}

/**
 * Creates (or fully overwrites) the three silver tables from client-day rows, one commit per
 * table as a silver run would; returns the new version of each.
 */
export async function writeSilver(root: string, clientDays: Row[], mode: 'create' | 'overwrite' = 'create'): Promise<Record<string, number>> {
  return {
    [CLIENT_AGGREGATES_TABLE.name]: await writeTable(root, CLIENT_AGGREGATES_TABLE, clientDays, mode),
    [COUNTRY_AGGREGATES_TABLE.name]: await writeTable(root, COUNTRY_AGGREGATES_TABLE, countryRows(clientDays), mode),
    [SEGMENT_AGGREGATES_TABLE.name]: await writeTable(root, SEGMENT_AGGREGATES_TABLE, segmentRows(clientDays), mode),
  };
}

// ---------------------------------------------------------------------------------------------
// A deterministic realistic data set (benchmark)
// ---------------------------------------------------------------------------------------------

function hash(i: number, salt: number): number {
  let h = (Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 0x27d4eb2f, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

const COUNTRIES = ['France', 'Belgique', 'Suisse', 'Luxembourg', 'Canada', 'Maroc', 'Sénégal'];
const PRICES = [899.99, 599.0, 129.5, 249.9, 489.0, 79.99, 299.0, 12.9, 15.5, 110.0];

export function syntheticClient(id: number): Client {
  return { client_id: id, client_nom: `Client ${id}`, pays: COUNTRIES[id % COUNTRIES.length], segment: id % 7 === 0 ? 'Entreprise' : 'Particulier' };
}

export function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Client-days of `clients` clients over `days` days from `firstDay`: each client buys 0 to 4 times a day (0 one day in five). */
export function syntheticClientDays(clients: number, days: number, firstDay: string): Row[] {
  const rows: Row[] = [];
  for (let d = 0; d < days; d++) {
    const jour = addDays(firstDay, d);
    for (let c = 1; c <= clients; c++) {
      const k = d * clients + c;
      const count = hash(k, 1) % 5 === 0 ? 0 : 1 + (hash(k, 2) % 4);
      const purchases: Purchase[] = [];
      for (let p = 0; p < count; p++) {
        const product = hash(k * 8 + p, 3) % PRICES.length;
        const quantite = 1 + (hash(k * 8 + p, 4) % 3);
        purchases.push({ produit_id: 101 + product, quantite, montant: Math.round(quantite * PRICES[product] * 100) / 100 });
      }
      if (count) rows.push(clientDay(syntheticClient(c), jour, purchases));
    }
  }
  return rows;
}
