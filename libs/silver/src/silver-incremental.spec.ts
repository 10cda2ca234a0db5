import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Row } from '@app/delta';
import { BRONZE_TABLE, CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE } from '@app/schemas';
import { mulberry32 } from '@app/simulator';
import { createBronze, readSilver, tempLakehouse } from '../test/bronze-fixtures';
import { SilverJob } from './silver-job';

const DAYS = ['2024-12-01', '2024-12-02', '2024-12-03', '2024-12-04', '2024-12-05', '2024-12-06'];
const NAMES = ['Jean Dupont', 'Jean Dupond', 'Marie Martin'];
const COUNTRIES = ['France', 'Belgique', 'Suisse'];

/** A bronze row as the ingestor writes it; `ingestedAt` orders occurrences, `offset` is the Kafka offset (unique). */
function row(r: { id: number; client: number; day: string; second: number; montant: number; quantite: number; nom: string; pays: string; offset: number; ingestedAt: number }): Row {
  const ts = new Date(Date.parse(`${r.day}T00:00:00Z`) + r.second * 1000).toISOString().replace('Z', '000Z');
  return {
    vente_id: r.id,
    client_id: r.client,
    produit_id: 100 + (r.id % 4),
    timestamp: ts,
    quantite: r.quantite,
    montant: r.montant,
    client_nom: r.nom,
    produit_nom: 'Produit',
    categorie: 'Électronique',
    pays: r.pays,
    segment: r.client % 2 ? 'Particulier' : 'Entreprise',
    kafka_topic: BRONZE_TABLE.name,
    kafka_partition: r.offset % 3,
    kafka_offset: r.offset,
    date_ingestion: new Date(Date.UTC(2024, 11, 10) + r.ingestedAt).toISOString(),
    jour: r.day,
  };
}

/** The incremental side runs under a small memory limit (spilling), as in the scheduler. */
const LIMITED = { memoryLimit: '128MB', tempDirectory: path.join(os.tmpdir(), 'silver-duckdb-test') };

const PUBLIC_TABLES = [
  { def: CLIENT_AGGREGATES_TABLE, keys: ['jour', 'client_id'] },
  { def: COUNTRY_AGGREGATES_TABLE, keys: ['pays'] },
  { def: SEGMENT_AGGREGATES_TABLE, keys: ['segment'] },
];

async function publicTables(root: string): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const { def, keys } of PUBLIC_TABLES) out[def.name] = await readSilver(root, def, keys);
  return out;
}

/** Silver computed from scratch over a copy of `root`'s bronze. */
async function fullRefreshOf(root: string): Promise<Record<string, Row[]>> {
  const copy = tempLakehouse('silver-full-');
  await fs.cp(path.join(root, 'bronze'), path.join(copy, 'bronze'), { recursive: true });
  const report = await new SilverJob({ lakehouseRoot: copy }).run();
  expect(report.mode).toBe('full');
  const tables = await publicTables(copy);
  await fs.rm(copy, { recursive: true, force: true });
  return tables;
}

describe('incremental silver equals a full refresh', () => {
  // ~15 s a seed on an idle 2-core machine; generous for a loaded one.
  jest.setTimeout(600_000);

  it.each([1, 2, 3])('after random runs with late data, duplicates, conflicts, identity changes, compaction and expired days (seed %i)', async (seed) => {
    // Seeded, so a failure replays with its seed.
    const random = mulberry32(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const root = tempLakehouse();
    const bronze = await createBronze(root);
    // One job across rounds (the scheduler's steady state); a fresh one now and then (a restart).
    let job = new SilverJob({ lakehouseRoot: root, duckdb: LIMITED });
    const sent: Row[] = [];
    let offset = 0;
    let clock = 0;
    let nextId = 1;
    let sawDuplicate = false;
    let sawIncremental = false;
    for (let round = 0; round < 10; round++) {
      const commits = 1 + Math.floor(random() * 3);
      for (let c = 0; c < commits; c++) {
        const rows: Row[] = [];
        const n = 1 + Math.floor(random() * 12);
        for (let i = 0; i < n; i++) {
          clock += 1000;
          const kind = random();
          const previous = sent.length ? pick(sent) : undefined;
          if (previous && kind < 0.15) {
            // Exact re-send, later (same payload, so same day).
            rows.push({ ...previous, kafka_offset: ++offset, kafka_partition: offset % 3, date_ingestion: new Date(Date.UTC(2024, 11, 10) + clock).toISOString() });
          } else if (previous && kind < 0.3) {
            // Same vente_id, another payload, possibly another day; sometimes stamped before the original (a skewed clock).
            const skew = random() < 0.3 ? -clock : 0;
            rows.push(
              row({
                id: Number(previous.vente_id),
                client: 1 + Math.floor(random() * 4),
                day: pick(DAYS),
                second: Math.floor(random() * 86_000),
                montant: Math.round(random() * 150_000) / 100,
                quantite: 1 + Math.floor(random() * 3),
                nom: pick(NAMES),
                pays: pick(COUNTRIES),
                offset: ++offset,
                ingestedAt: clock + skew,
              }),
            );
          } else {
            const client = 1 + Math.floor(random() * 4);
            rows.push(
              row({
                id: nextId++,
                client,
                // Mostly recent days, some late data for past days.
                day: random() < 0.7 ? DAYS[Math.min(DAYS.length - 1, 2 + Math.floor(round / 3))] : pick(DAYS),
                second: Math.floor(random() * 86_000),
                montant: Math.round(random() * 150_000) / 100,
                quantite: 1 + Math.floor(random() * 3),
                // Identity changes within a day now and then.
                nom: random() < 0.85 ? NAMES[client % 2] : pick(NAMES),
                pays: random() < 0.85 ? COUNTRIES[client % 3] : pick(COUNTRIES),
                offset: ++offset,
                ingestedAt: clock,
              }),
            );
          }
        }
        sent.push(...rows);
        await bronze.append({ rows });
      }
      const event = random();
      if (event < 0.2) await bronze.optimize();
      else if (event < 0.3) {
        // Retention: a whole day leaves bronze (first occurrences with it).
        const day = pick(DAYS);
        await bronze.overwrite({ rows: [] }, { partitions: [{ jour: day }] });
        sent.splice(0, sent.length, ...sent.filter((r) => r.jour !== day));
      }
      if (random() < 0.2) job = new SilverJob({ lakehouseRoot: root, duckdb: LIMITED });
      const report = await job.run();
      if (report.duplicates.dropped > 0) sawDuplicate = true;
      if (report.mode === 'incremental') sawIncremental = true;
      expect(await publicTables(root)).toEqual(await fullRefreshOf(root));
    }
    expect(sawDuplicate).toBe(true);
    expect(sawIncremental).toBe(true);
    await fs.rm(root, { recursive: true, force: true });
  });
});
