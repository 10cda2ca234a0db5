/**
 * Hand-made bronze tables for silver tests: real Delta tables in temp folders, with BRONZE_TABLE's
 * schema, filled with sales whose aggregates are easy to compute by hand.
 */
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable, Row } from '@app/delta';
import { BRONZE_TABLE, TableDefinition, tableLocation } from '@app/schemas';

export function tempLakehouse(prefix = 'silver-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The seed's clients: name, country and segment follow from the id, as in the producer. */
export const CLIENTS: Record<number, { nom: string; pays: string; segment: 'Particulier' | 'Entreprise' }> = {
  1: { nom: 'Jean Dupont', pays: 'France', segment: 'Particulier' },
  2: { nom: 'Marie Martin', pays: 'Belgique', segment: 'Particulier' },
  3: { nom: 'TechCorp SA', pays: 'France', segment: 'Entreprise' },
  4: { nom: 'Hans Müller', pays: 'Suisse', segment: 'Particulier' },
  5: { nom: 'Global Industries', pays: 'Luxembourg', segment: 'Entreprise' },
};

export interface Sale {
  vente_id: number;
  client_id: keyof typeof CLIENTS;
  produit_id: number;
  /** Event day; the event time is noon UTC of that day. */
  jour: string;
  montant: number;
  quantite?: number;
}

/** A full bronze row for a sale: what the ingestor would have written for it. */
export function bronzeRow(s: Sale): Row {
  const client = CLIENTS[s.client_id];
  const timestamp = `${s.jour}T12:00:00.000000Z`;
  return {
    vente_id: s.vente_id,
    client_id: s.client_id,
    produit_id: s.produit_id,
    timestamp,
    quantite: s.quantite ?? 1,
    montant: s.montant,
    client_nom: client.nom,
    produit_nom: `Produit ${s.produit_id}`,
    categorie: 'Électronique',
    pays: client.pays,
    segment: client.segment,
    kafka_topic: BRONZE_TABLE.name,
    kafka_partition: 0,
    kafka_offset: s.vente_id,
    date_ingestion: timestamp,
    jour: s.jour,
  };
}

export function createBronze(lakehouseRoot: string): Promise<DeltaTable> {
  return DeltaTable.create(tableLocation(lakehouseRoot, BRONZE_TABLE), {
    schema: BRONZE_TABLE.schema,
    partitionColumns: BRONZE_TABLE.partitionColumns,
    name: BRONZE_TABLE.name,
  });
}

/** One bronze commit with these sales. */
export async function appendSales(bronze: DeltaTable, sales: Sale[]): Promise<number> {
  return (await bronze.append({ rows: sales.map(bronzeRow) })).version;
}

/** A silver table's rows as read back (longs as bigint), in the order given by `sortKeys`. */
export async function readSilver(lakehouseRoot: string, def: TableDefinition, sortKeys: string[]): Promise<Row[]> {
  const rows = await (await DeltaTable.open(tableLocation(lakehouseRoot, def))).readRows();
  const key = (r: Row) => sortKeys.map((k) => String(r[k])).join('\u0000');
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
