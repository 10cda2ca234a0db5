import { parseStats, toEpochMicros } from '@app/delta';
import { BRONZE_TABLE, CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE, TableDefinition, tableLocation } from '@app/schemas';
import { ClientNotFoundError, TableUnavailableError } from './errors';
import { LruCache } from './lru-cache';
import {
  LOYAL_MIN_PURCHASES,
  queryCountryRevenue,
  queryCountryRevenueFromClientDays,
  queryCustomer,
  queryLoyalty,
  queryRevenueTrends,
  querySegments,
  queryTopCustomers,
} from './queries';
import { AsOf, TableSnapshots } from './table-snapshots';
import { TableVersion } from './table-version';
import {
  BronzeFreshness,
  CountryRevenue,
  CustomerDetail,
  DateRange,
  Freshness,
  LoyaltySummary,
  RevenuePeriod,
  RevenueTrendsParams,
  SegmentRevenue,
  TableFreshness,
  TableSource,
  TopCustomer,
  TopCustomersParams,
} from './types';

export interface AnalyticsOptions {
  /** Folder holding `bronze/` and `silver/`. */
  lakehouseRoot: string;
  /** Answers kept, over all endpoints and versions. */
  cacheMaxEntries: number;
  /** Minimum time between two looks at a table's log for new commits. */
  refreshIntervalMs: number;
  /** Past versions kept loaded per table for time travel. */
  maxCachedVersions?: number;
  /** Called on every answer-cache lookup (metrics). */
  onCacheLookup?: (endpoint: string, hit: boolean) => void;
}

export type WithSource<T> = { source: TableSource } & T;

export const LOYALTY_DEFINITION =
  `a client is loyal when their purchases over the period (sum of nb_achats) are at least ${LOYAL_MIN_PURCHASES}, ` +
  'occasional otherwise; repeat_purchase_rate = loyal_customers / total_customers; spending_tiers count client-days per segment_depense';

function sourceOf(t: TableVersion): TableSource {
  return { table: t.table, version: t.version };
}

/**
 * The gateway's questions over the silver tables, with time travel and an answer cache.
 * Answers are keyed by endpoint, parameters and the version of every table read, so a new
 * silver commit makes new keys (old ones age out of the LRU) and no answer is ever stale for
 * the version it names. Concurrent identical requests share one computation; a cached answer
 * is the same object every time, so callers must not modify it.
 */
export class AnalyticsService {
  readonly clientDays: TableSnapshots;
  readonly countries: TableSnapshots;
  readonly segments: TableSnapshots;
  readonly bronze: TableSnapshots;
  private readonly answers: LruCache<string, Promise<unknown>>;

  constructor(private readonly opts: AnalyticsOptions) {
    const snapshotOpts = { refreshIntervalMs: opts.refreshIntervalMs, maxCachedVersions: opts.maxCachedVersions ?? 8 };
    const silver = (def: TableDefinition) => new TableSnapshots(def.name, tableLocation(opts.lakehouseRoot, def), snapshotOpts);
    this.clientDays = silver(CLIENT_AGGREGATES_TABLE);
    this.countries = silver(COUNTRY_AGGREGATES_TABLE);
    this.segments = silver(SEGMENT_AGGREGATES_TABLE);
    this.bronze = new TableSnapshots(BRONZE_TABLE.name, tableLocation(opts.lakehouseRoot, BRONZE_TABLE), snapshotOpts);
    this.answers = new LruCache(opts.cacheMaxEntries);
  }

  get silverTables(): TableSnapshots[] {
    return [this.clientDays, this.countries, this.segments];
  }

  private cached<T>(endpoint: string, params: object, versions: Array<TableVersion | undefined>, compute: () => Promise<T>): Promise<T> {
    const tables = versions.map((v, i) => (v ? `${v.table}@${v.version}` : `#${i}@none`)).join(',');
    const key = `${endpoint} ${JSON.stringify(params)} ${tables}`;
    return this.answers.getOrCreate(key, compute, (hit) => this.opts.onCacheLookup?.(endpoint, hit)) as Promise<T>;
  }

  async topCustomers(p: TopCustomersParams, asOf: AsOf = {}): Promise<WithSource<{ customers: TopCustomer[] }>> {
    const t = await this.clientDays.at(asOf);
    const params: TopCustomersParams = { limit: p.limit, from: p.from, to: p.to, pays: p.pays, segment: p.segment };
    return this.cached('top-customers', params, [t], async () => ({ source: sourceOf(t), customers: await queryTopCustomers(t, params) }));
  }

  /** With a date range the answer comes from ventes_aggreges (per day), else from ventes_par_pays (all time). */
  async revenueByCountry(range: DateRange, asOf: AsOf = {}): Promise<WithSource<{ countries: CountryRevenue[] }>> {
    const params: DateRange = { from: range.from, to: range.to };
    if (params.from === undefined && params.to === undefined) {
      const t = await this.countries.at(asOf);
      return this.cached('revenue-by-country', params, [t], async () => ({ source: sourceOf(t), countries: await queryCountryRevenue(t) }));
    }
    const t = await this.clientDays.at(asOf);
    return this.cached('revenue-by-country', params, [t], async () => ({
      source: sourceOf(t),
      countries: await queryCountryRevenueFromClientDays(t, params),
    }));
  }

  async segmentRevenue(asOf: AsOf = {}): Promise<WithSource<{ segments: SegmentRevenue[] }>> {
    const t = await this.segments.at(asOf);
    return this.cached('segments', {}, [t], async () => ({ source: sourceOf(t), segments: await querySegments(t) }));
  }

  async revenueTrends(p: RevenueTrendsParams, asOf: AsOf = {}): Promise<WithSource<{ granularity: string; periods: RevenuePeriod[] }>> {
    const t = await this.clientDays.at(asOf);
    const params: RevenueTrendsParams = { granularity: p.granularity, from: p.from, to: p.to };
    return this.cached('revenue-trends', params, [t], async () => ({
      source: sourceOf(t),
      granularity: params.granularity,
      periods: await queryRevenueTrends(t, params),
    }));
  }

  async loyalty(range: DateRange, asOf: AsOf = {}): Promise<WithSource<{ definition: string } & LoyaltySummary>> {
    const t = await this.clientDays.at(asOf);
    const params: DateRange = { from: range.from, to: range.to };
    return this.cached('loyalty', params, [t], async () => ({
      source: sourceOf(t),
      definition: LOYALTY_DEFINITION,
      ...(await queryLoyalty(t, params)),
    }));
  }

  /** Throws ClientNotFoundError when the version read has no row for the client. */
  async customer(clientId: number, asOf: AsOf = {}): Promise<WithSource<CustomerDetail>> {
    const t = await this.clientDays.at(asOf);
    const answer = await this.cached('customer', { clientId }, [t], async () => {
      const detail = await queryCustomer(t, clientId);
      return detail && { source: sourceOf(t), ...detail };
    });
    if (!answer) throw new ClientNotFoundError(clientId, t.table, t.version);
    return answer;
  }

  /**
   * Versions, commit times and row counts of the silver tables (as of `asOf`) and of bronze
   * (always the latest). Tables not written yet are reported unavailable instead of failing:
   * this is the endpoint that tells whether silver has been computed.
   */
  async freshness(asOf: AsOf = {}): Promise<Freshness> {
    const silver = await Promise.all(this.silverTables.map((s) => availableAt(s, asOf)));
    const bronze = await this.bronze.latestIfExists();
    return this.cached('freshness', {}, [...silver, bronze], async () => {
      const silverFreshness = await Promise.all(silver.map((t, i) => tableFreshness(this.silverTables[i].table, 'silver', t)));
      const commits = silverFreshness.map((f) => f.last_commit_at).filter((t): t is string => t !== null);
      return {
        last_silver_refresh: commits.length ? commits.reduce((a, b) => (a > b ? a : b)) : null,
        silver: silverFreshness,
        bronze: { ...(await tableFreshness(this.bronze.table, 'bronze', bronze)), latest_event_time: bronze ? latestEventTime(bronze) : null },
      };
    });
  }

  /** The latest version of every silver table (undefined for those not written yet), and why the last look at its log failed if it did (health). */
  async silverStatus(): Promise<Array<{ table: string; version?: number; error?: string }>> {
    return Promise.all(
      this.silverTables.map(async (s) => {
        try {
          return { table: s.table, version: (await s.latestIfExists())?.version, error: s.refreshError?.message };
        } catch (e) {
          return { table: s.table, error: (e as Error).message };
        }
      }),
    );
  }
}

async function availableAt(snapshots: TableSnapshots, asOf: AsOf): Promise<TableVersion | undefined> {
  try {
    return await snapshots.at(asOf);
  } catch (e) {
    if (e instanceof TableUnavailableError) return undefined;
    throw e;
  }
}

async function tableFreshness(table: string, layer: TableFreshness['layer'], t: TableVersion | undefined): Promise<TableFreshness> {
  if (!t) return { table, layer, available: false, version: null, last_commit_at: null, num_records: null };
  return {
    table,
    layer,
    available: true,
    version: t.version,
    last_commit_at: new Date(await t.committedAt()).toISOString(),
    num_records: t.snapshot.numRecords(),
  };
}

/** The max of the files' `timestamp` statistics: no data is read. */
function latestEventTime(bronze: TableVersion): BronzeFreshness['latest_event_time'] {
  let latest: bigint | undefined;
  for (const f of bronze.snapshot.state.files.values()) {
    const max = parseStats(f)?.maxValues?.timestamp;
    const micros = typeof max === 'string' ? toEpochMicros(max) : undefined;
    if (micros !== undefined && (latest === undefined || micros > latest)) latest = micros;
  }
  return latest === undefined ? null : new Date(Number(latest / 1000n)).toISOString();
}
