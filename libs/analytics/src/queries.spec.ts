import { rmSync } from 'node:fs';
import { Row } from '@app/delta';
import { CLIENT_AGGREGATES_TABLE, tableLocation } from '@app/schemas';
import { Client, clientDay, tempLakehouse, writeSilver } from '../test/silver-fixtures';
import { queryCustomer, queryLoyalty, queryRevenueTrends, queryTopCustomers } from './queries';
import { TableSnapshots } from './table-snapshots';
import { TableVersion } from './table-version';

const ANNE: Client = { client_id: 7, client_nom: 'Anne', pays: 'France', segment: 'Particulier' };

async function clientDaysVersion(root: string, rows: Row[]): Promise<TableVersion> {
  await writeSilver(root, rows);
  return new TableSnapshots(CLIENT_AGGREGATES_TABLE.name, tableLocation(root, CLIENT_AGGREGATES_TABLE), { refreshIntervalMs: 0 }).latest();
}

describe('analytics queries', () => {
  const root = tempLakehouse();
  let version: TableVersion;

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeAll(async () => {
    version = await clientDaysVersion(root, [
      clientDay(ANNE, '2024-12-30', [{ produit_id: 1, quantite: 1, montant: 10.005 }]),
      clientDay({ ...ANNE, client_nom: 'Anne Durand', pays: 'Belgique' }, '2025-01-05', [{ produit_id: 1, quantite: 1, montant: 0.1 }, { produit_id: 2, quantite: 1, montant: 0.2 }]),
      { ...clientDay({ ...ANNE, client_id: 8 }, '2025-01-06', [{ produit_id: 3, quantite: 1, montant: 1 }]), segment_depense: 'Gold' },
    ]);
  });

  it('names a client by their latest day, and rounds money to cents', async () => {
    const {
      items: [anne],
      total,
    } = await queryTopCustomers(version, { limit: 1, offset: 0 });
    expect(total).toBe(2);
    expect(anne).toEqual({ client_id: 7, client_nom: 'Anne Durand', pays: 'Belgique', segment: 'Particulier', total_depense: 10.31, nb_achats: 3, total_quantite: 3 });
  });

  it('puts days in their ISO week and month across a year end', async () => {
    const { items: weeks } = await queryRevenueTrends(version, { granularity: 'week', limit: 100, offset: 0 });
    // Monday 2024-12-30 to Sunday 2025-01-05 is one week; Monday 2025-01-06 starts the next.
    expect(weeks.map((w) => [w.period, w.total_transactions])).toEqual([
      ['2024-12-30', 3],
      ['2025-01-06', 1],
    ]);
    const { items: months } = await queryRevenueTrends(version, { granularity: 'month', limit: 100, offset: 0 });
    expect(months.map((m) => [m.period, m.total_transactions])).toEqual([
      ['2024-12-01', 1],
      ['2025-01-01', 3],
    ]);
  });

  it('answers empty ranges with zeros, and keeps spending tiers the schema does not list', async () => {
    const empty = await queryLoyalty(version, { from: '2030-01-01' });
    expect(empty).toEqual({
      total_customers: 0,
      loyal_customers: 0,
      occasional_customers: 0,
      repeat_purchase_rate: 0,
      loyal_revenue: 0,
      occasional_revenue: 0,
      spending_tiers: [
        { segment_depense: 'Premium', client_days: 0, revenue_total: 0 },
        { segment_depense: 'Standard', client_days: 0, revenue_total: 0 },
        { segment_depense: 'Economy', client_days: 0, revenue_total: 0 },
      ],
    });
    const all = await queryLoyalty(version, {});
    expect(all.spending_tiers.map((t) => [t.segment_depense, t.client_days])).toEqual([
      ['Premium', 0],
      ['Standard', 0],
      ['Economy', 2],
      ['Gold', 1],
    ]);
    expect(await queryRevenueTrends(version, { granularity: 'day', to: '2020-01-01', limit: 100, offset: 0 })).toEqual({ items: [], total: 0 });
  });

  it('returns undefined for a client without rows', async () => {
    expect(await queryCustomer(version, 99)).toBeUndefined();
    expect((await queryCustomer(version, 8))?.totals.days_active).toBe(1);
  });

  it('refuses a limit that is not a positive integer before building SQL', async () => {
    await expect(queryTopCustomers(version, { limit: 1.5, offset: 0 })).rejects.toThrow(RangeError);
    await expect(queryTopCustomers(version, { limit: '1; DROP TABLE x' as unknown as number, offset: 0 })).rejects.toThrow(RangeError);
  });

  it('binds text filters as parameters, NUL and quotes included, and matches pays without regard to case', async () => {
    for (const pays of ["x' OR '1'='1", 'France\0', '\\\'"; DROP TABLE x; --', '🇫🇷'.repeat(1000)]) {
      expect(await queryTopCustomers(version, { limit: 5, offset: 0, pays })).toEqual({ items: [], total: 0 });
    }
    const belgians = await queryTopCustomers(version, { limit: 5, offset: 0, pays: 'bELGIQUE' });
    expect(belgians.items.map((c) => c.client_id)).toEqual([7]);
  });

  it('pages a list: limit and offset in its order, and its total', async () => {
    const second = await queryTopCustomers(version, { limit: 1, offset: 1 });
    expect(second.items.map((c) => c.client_id)).toEqual([8]);
    expect(second.total).toBe(2);
    expect(await queryTopCustomers(version, { limit: 1, offset: 5 })).toEqual({ items: [], total: 2 });
  });
});
