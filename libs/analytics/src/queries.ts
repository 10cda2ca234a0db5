import { Filter } from '@app/delta';
import { SPENDING_TIERS } from '@app/schemas';
import { centsOf, countryAggregatesSql, customerContributionsSql, customerTotalsSql, eurosOf, roundedQuotient } from '@app/silver';
import { withQuerySlot } from './query-slots';
import { Selection, SqlParams, TableVersion } from './table-version';
import {
  CountryRevenue,
  CustomerDay,
  CustomerDetail,
  CustomerTotals,
  DateRange,
  Granularity,
  LoyaltySummary,
  Paged,
  PageParams,
  RevenuePeriod,
  RevenueTrendsParams,
  SegmentRevenue,
  SpendingTierShare,
  TopCustomer,
  TopCustomersParams,
} from './types';

/**
 * The analytics queries, one function per question, each over one table version, aggregated in
 * DuckDB. Money is summed and averaged in integer cents with the silver job's own SQL helpers,
 * so the gateway's totals are the silver tables' to the cent. Every request value (dates,
 * country, segment, client id, limit, offset) is a bound parameter of a prepared statement: the
 * SQL text is made of constants and of the table's own file names only.
 */

/** A money column rounded to the cent (silver amounts already are; this makes sure of it). */
const money = (column: string): string => eurosOf(centsOf(column));
/** The sum of a money column, exact in cents. */
const moneySum = (column: string): string => eurosOf(`SUM(${centsOf(column)})`);
/** A money total divided by a count, rounded to the cent half away from zero. */
const moneyAverage = (column: string, count: string): string => eurosOf(roundedQuotient(`SUM(${centsOf(column)})`, count));

/** A client is loyal when they made at least this many purchases over the period (`est_client_fidele` is the same rule for one day). */
export const LOYAL_MIN_PURCHASES = 2;

/** DuckDB returns BIGINT and HUGEINT (sums of longs) as bigint; JSON needs numbers, exact up to 2^53. */
function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? Number(v) : v;
  return out;
}

interface Statement {
  sql: string;
  params: SqlParams;
}

/** Runs the statement with the parameters its text names, and returns its rows. */
async function runSql({ sql, params }: Statement): Promise<Record<string, unknown>[]> {
  const used: SqlParams = {};
  for (const [, name] of sql.matchAll(/\$([A-Za-z_]\w*)/g)) if (name in params) used[name] = params[name];
  return withQuerySlot(async (conn) => (await conn.runAndReadAll(sql, used)).getRowObjectsJS().map(plainRow));
}

function assertInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
}

function assertPage(p: PageParams): void {
  assertInteger('limit', p.limit, 1);
  assertInteger('offset', p.offset, 0);
}

export function dateRangeFilters(range: DateRange): Filter[] {
  const filters: Filter[] = [];
  if (range.from !== undefined) filters.push({ column: 'jour', op: '>=', value: range.from });
  if (range.to !== undefined) filters.push({ column: 'jour', op: '<=', value: range.to });
  return filters;
}

function equals(column: string, value: string | number | undefined): Filter[] {
  return value === undefined ? [] : [{ column, op: '=', value }];
}

/** The rows of `selection` with the statement's own parameters added. */
function over(selection: Selection, sql: (rows: string) => string, params: SqlParams = {}): Statement {
  return { sql: sql(`(${selection.sql})`), params: { ...selection.params, ...params } };
}

/**
 * Rows `offset`… of a query in the given order, and how many it has in all. The count comes with
 * the page (a window over the whole result, before LIMIT), so the query runs once; only a page
 * past the end, which has no row to carry it, takes a second statement.
 */
async function paged<T>(
  selection: Selection,
  sql: (rows: string) => string,
  orderBy: string,
  page: PageParams,
  params: SqlParams = {},
): Promise<Paged<T>> {
  const rows = await runSql(
    over(
      selection,
      (r) =>
        `SELECT * FROM (SELECT *, count(*) OVER () AS page_total FROM (${sql(r)})) ORDER BY ${orderBy} LIMIT CAST($page_limit AS BIGINT) OFFSET CAST($page_offset AS BIGINT)`,
      { ...params, page_limit: page.limit, page_offset: page.offset },
    ),
  );
  if (rows.length === 0) {
    const [count] =
      page.offset === 0 ? [{ total: 0 }] : await runSql(over(selection, (r) => `SELECT count(*) AS total FROM (${sql(r)})`, params));
    return { items: [], total: count.total as number };
  }
  const total = rows[0].page_total as number;
  const items = rows.map(({ page_total: _, ...item }) => item);
  return { items: items as unknown as T[], total };
}

/** The selection a query will read, given for the scan bound before it runs. */
export function topCustomersSelection(clientDays: TableVersion, p: TopCustomersParams): Promise<Selection> {
  return clientDays.select([...dateRangeFilters(p), ...equals('segment', p.segment)]);
}

/** Clients by spend over the range, from ventes_aggreges; name, country and segment are the latest day's; `pays` matches without regard to case. */
export async function queryTopCustomers(
  clientDays: TableVersion,
  p: TopCustomersParams,
  selection?: Selection,
): Promise<Paged<TopCustomer>> {
  assertPage(p);
  const rows = selection ?? (await topCustomersSelection(clientDays, p));
  const byCountry = p.pays === undefined ? '' : 'WHERE lower(pays) = lower($pays)';
  return paged<TopCustomer>(
    rows,
    (r) => `
    SELECT client_id,
           arg_max(client_nom, jour) AS client_nom, arg_max(pays, jour) AS pays, arg_max(segment, jour) AS segment,
           ${moneySum('total_depense')} AS total_depense, sum(nb_achats) AS nb_achats, sum(total_quantite) AS total_quantite
    FROM ${r} ${byCountry}
    GROUP BY client_id`,
    'total_depense DESC, client_id',
    p,
    p.pays === undefined ? {} : { pays: p.pays },
  );
}

/** Revenue per country over a date range: ventes_par_pays rebuilt, as the silver job does (client days, then customer totals), from the range's ventes_aggreges rows. */
export async function queryCountryRevenueFromClientDays(
  clientDays: TableVersion,
  range: DateRange,
  page: PageParams,
  selection?: Selection,
): Promise<Paged<CountryRevenue>> {
  assertPage(page);
  const rows = selection ?? (await clientDays.select(dateRangeFilters(range)));
  return paged<CountryRevenue>(
    rows,
    (r) => `
    SELECT pays, revenue_total, total_transactions, transaction_moyenne, items_sold, unique_customers
    FROM (${countryAggregatesSql(customerTotalsSql(customerContributionsSql(`SELECT * FROM ${r}`)))})`,
    'revenue_total DESC, pays',
    page,
  );
}

/** Revenue per country over all time, as the silver job stored it in ventes_par_pays. */
export async function queryCountryRevenue(countries: TableVersion, page: PageParams): Promise<Paged<CountryRevenue>> {
  assertPage(page);
  return paged<CountryRevenue>(
    await countries.select(),
    (r) => `
    SELECT pays, ${money('revenue_total')} AS revenue_total, total_transactions,
           ${money('transaction_moyenne')} AS transaction_moyenne, items_sold, unique_customers
    FROM ${r}`,
    'revenue_total DESC, pays',
    page,
  );
}

export async function querySegments(segments: TableVersion, page: PageParams): Promise<Paged<SegmentRevenue>> {
  assertPage(page);
  return paged<SegmentRevenue>(
    await segments.select(),
    (r) => `
    SELECT segment, total_transactions, ${money('revenue_total')} AS revenue_total,
           ${money('transaction_moyenne')} AS transaction_moyenne, unique_customers, countries_count
    FROM ${r}`,
    'revenue_total DESC, segment',
    page,
  );
}

/** Periods are named by their first day; ISO weeks start on Monday. */
const PERIOD_START: Record<Granularity, string> = {
  day: 'jour',
  week: `CAST(date_trunc('week', jour) AS DATE)`,
  month: `CAST(date_trunc('month', jour) AS DATE)`,
};

export async function queryRevenueTrends(
  clientDays: TableVersion,
  p: RevenueTrendsParams,
  selection?: Selection,
): Promise<Paged<RevenuePeriod>> {
  assertPage(p);
  const periodStart = PERIOD_START[p.granularity];
  if (!periodStart) throw new RangeError(`unknown granularity "${p.granularity}"`);
  return paged<RevenuePeriod>(
    selection ?? (await clientDays.select(dateRangeFilters(p))),
    // Grouped by the period's first day, formatted once per period rather than on every row.
    (r) => `
    SELECT strftime(period_start, '%Y-%m-%d') AS period, revenue_total, total_transactions, unique_customers
    FROM (
      SELECT ${periodStart} AS period_start,
             ${moneySum('total_depense')} AS revenue_total, sum(nb_achats) AS total_transactions,
             count(DISTINCT client_id) AS unique_customers
      FROM ${r}
      GROUP BY 1)`,
    'period',
    p,
  );
}

/**
 * Loyal vs occasional clients over the range: loyal means at least LOYAL_MIN_PURCHASES
 * purchases in total over it (on one day or several). The spending tiers count client-days,
 * since `segment_depense` is a per-day tier; every known tier is listed, with 0 when empty.
 */
export async function queryLoyalty(clientDays: TableVersion, range: DateRange, selection?: Selection): Promise<LoyaltySummary> {
  const rows = selection ?? (await clientDays.select(dateRangeFilters(range)));
  const { summary, items } = await summaryAndItems(
    rows,
    (r) => `WITH per_client AS (
       SELECT client_id, sum(nb_achats) AS achats, SUM(${centsOf('total_depense')}) AS depense_cents FROM ${r} GROUP BY client_id
     )
     SELECT count(*) AS total_customers,
            count(*) FILTER (WHERE achats >= ${LOYAL_MIN_PURCHASES}) AS loyal_customers,
            count(*) FILTER (WHERE achats < ${LOYAL_MIN_PURCHASES}) AS occasional_customers,
            ${eurosOf(`coalesce(sum(depense_cents) FILTER (WHERE achats >= ${LOYAL_MIN_PURCHASES}), 0)`)} AS loyal_revenue,
            ${eurosOf(`coalesce(sum(depense_cents) FILTER (WHERE achats < ${LOYAL_MIN_PURCHASES}), 0)`)} AS occasional_revenue
     FROM per_client`,
    (r) => `SELECT ${item('segment_depense')}, ${item('client_days', 'count(*)')}, ${item('revenue_total', moneySum('total_depense'))},
            row_number() OVER (ORDER BY segment_depense) AS ${ITEM_RANK}
     FROM ${r} GROUP BY segment_depense`,
  );
  const s = summary as unknown as Omit<LoyaltySummary, 'repeat_purchase_rate' | 'spending_tiers'>;
  const found = new Map(items.map((r) => [r.segment_depense as string, r as unknown as SpendingTierShare]));
  // Tiers the schema does not list (a newer silver job) are kept after the known ones.
  const tiers = [...SPENDING_TIERS, ...[...found.keys()].filter((t) => !(SPENDING_TIERS as readonly string[]).includes(t))];
  return {
    ...s,
    repeat_purchase_rate: s.total_customers ? Math.round((s.loyal_customers / s.total_customers) * 10_000) / 10_000 : 0,
    spending_tiers: tiers.map((t) => found.get(t) ?? { segment_depense: t, client_days: 0, revenue_total: 0 }),
  };
}

/** A client's totals and a window of their days (oldest first), or undefined when the table version has no row for them. */
export async function queryCustomer(
  clientDays: TableVersion,
  clientId: number,
  page: PageParams = { limit: 1000, offset: 0 },
): Promise<(CustomerDetail & { history_total: number }) | undefined> {
  assertInteger('clientId', clientId, 0, 2 ** 31 - 1);
  assertPage(page);
  const { summary, items } = await summaryAndItems(
    await clientDays.select(equals('client_id', clientId)),
    (r) => `SELECT arg_max(client_nom, jour) AS client_nom, arg_max(pays, jour) AS pays, arg_max(segment, jour) AS segment,
            ${moneySum('total_depense')} AS total_depense, sum(nb_achats) AS nb_achats, sum(total_quantite) AS total_quantite,
            ${moneyAverage('total_depense', 'sum(nb_achats)')} AS panier_moyen,
            ${money('min(achat_min)')} AS achat_min, ${money('max(achat_max)')} AS achat_max,
            count(DISTINCT jour) AS days_active, strftime(min(jour), '%Y-%m-%d') AS first_day, strftime(max(jour), '%Y-%m-%d') AS last_day,
            count(*) AS history_total
     FROM ${r}`,
    (
      r,
    ) => `SELECT ${item('jour', `strftime(jour, '%Y-%m-%d')`)}, ${item('total_quantite')}, ${item('total_depense', money('total_depense'))}, ${item('nb_achats')},
            ${item('panier_moyen', money('panier_moyen'))}, ${item('achat_min', money('achat_min'))}, ${item('achat_max', money('achat_max'))},
            ${item('nb_produits_distincts')}, ${item('est_client_fidele')}, ${item('segment_depense')},
            row_number() OVER (ORDER BY jour, client_nom, pays, segment) AS ${ITEM_RANK}
     FROM ${r}
     ORDER BY ${ITEM_RANK}
     LIMIT CAST($page_limit AS BIGINT) OFFSET CAST($page_offset AS BIGINT)`,
    { page_limit: page.limit, page_offset: page.offset },
  );
  if (!summary || summary.history_total === 0) return undefined;
  const { client_nom, pays, segment, history_total, ...totals } = summary as unknown as CustomerTotals &
    Pick<CustomerDetail, 'client_nom' | 'pays' | 'segment'> & { history_total: number };
  return { client_id: clientId, client_nom, pays, segment, totals, history: items as unknown as CustomerDay[], history_total };
}

/** Item columns are named with this prefix in the statement of summaryAndItems (a summary and its items may share names). */
const ITEM_PREFIX = 'item_';
/** The items' order, a column of the items query. */
const ITEM_RANK = 'item_rank';
const item = (column: string, expression = column): string => `${expression} AS ${ITEM_PREFIX}${column}`;

/**
 * An answer made of a one-row summary and a list of items over the same rows (a client's totals
 * and their days; loyalty and its spending tiers), in one statement: the rows are selected once,
 * and the summary is joined to each item (or to none, for an empty list or a page past its end).
 * `items` selects its columns through `item()` and numbers them in ITEM_RANK.
 */
async function summaryAndItems(
  selection: Selection,
  summary: (rows: string) => string,
  items: (rows: string) => string,
  params: SqlParams = {},
): Promise<{ summary?: Record<string, unknown>; items: Record<string, unknown>[] }> {
  const joined = await runSql(
    over(
      selection,
      (r) => `WITH selected AS MATERIALIZED (SELECT * FROM ${r}), summary AS (${summary('selected')}), items AS (${items('selected')})
     SELECT * FROM summary LEFT JOIN items ON true ORDER BY ${ITEM_RANK}`,
      params,
    ),
  );
  if (joined.length === 0) return { items: [] };
  const names = Object.keys(joined[0]).filter((k) => k !== ITEM_RANK);
  const pick = (row: Record<string, unknown>, keys: string[], strip: number) => {
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k.slice(strip)] = row[k];
    return out;
  };
  const itemNames = names.filter((k) => k.startsWith(ITEM_PREFIX));
  return {
    summary: pick(
      joined[0],
      names.filter((k) => !k.startsWith(ITEM_PREFIX)),
      0,
    ),
    items: joined.filter((row) => row[ITEM_RANK] !== null).map((row) => pick(row, itemNames, ITEM_PREFIX.length)),
  };
}
