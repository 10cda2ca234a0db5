import { createHash } from 'node:crypto';
import { parseStats, toEpochMicros } from '@app/delta';
import { BRONZE_TABLE, CLIENT_AGGREGATES_TABLE, COUNTRY_AGGREGATES_TABLE, SEGMENT_AGGREGATES_TABLE, TableDefinition, tableLocation } from '@app/schemas';
import { ClientNotFoundError, QueryTooLargeError, TableUnavailableError } from './errors';
import { AnswerWarmer } from './answer-warmer';
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
  topCustomersSelection,
  dateRangeFilters,
} from './queries';
import { AsOf, SnapshotMemory, TableSnapshots } from './table-snapshots';
import { Selection, TableVersion } from './table-version';
import {
  BronzeFreshness,
  CountryRevenue,
  CURRENCY,
  CustomerDetail,
  DateRange,
  Freshness,
  LoyaltySummary,
  Page,
  PageParams,
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
  /** Bytes of answers kept (their JSON text, its encodings and key), over all endpoints and versions. */
  cacheMaxBytes: number;
  /** Minimum time between two looks at a table's log for new commits. */
  refreshIntervalMs: number;
  /** Bytes of table data kept in memory, latest and past versions together (past versions are evicted beyond it). */
  snapshotMaxBytes?: number;
  /** Rows a query may scan at most (from file statistics); beyond, it is refused naming the parameters that narrow it. */
  maxScanRows?: number;
  /** Called on every answer-cache lookup of a request (metrics). */
  onCacheLookup?: (endpoint: string, hit: boolean) => void;
  /** Answers made again in the background when a silver table gets a new version: the most asked (AnswerWarmer). 0 by default: none. */
  warmAnswers?: number;
  /** Called for every answer the warming looked up: found cached, computed, or failed (with the error, which is not thrown). */
  onAnswerWarmed?: (endpoint: string, result: 'cached' | 'computed' | 'failed', error?: Error) => void;
}

/** Who looks an answer up: a request, or the warming after a new version (its lookups are not the requests' cache metrics). */
interface Lookup {
  endpoint: string;
  /** The endpoint and its parameters: the answer's cache key but for the table versions. */
  question: string;
  origin: 'request' | 'warming';
}

export type WithSource<T> = { source: TableSource } & T;
/** Money answers name their currency. */
export type WithCurrency<T> = { currency: typeof CURRENCY } & T;
/** A list answer: the window it holds and the list's size. */
export type WithPage<T> = { page: Page } & T;

/**
 * One answer, as the gateway sends it: its JSON text, made once, and an entity tag naming the
 * endpoint, the parameters and the version of every table read (so it changes exactly when the
 * answer may). The type parameter is the JSON's shape.
 */
export interface Answer<T> {
  readonly json: string;
  readonly etag: string;
  /**
   * The JSON text encoded as `coding` names (e.g. compressed for a content coding), made by
   * `encode` the first time it is asked for and kept with the answer, its bytes counted in the
   * cache's bound: an answer asked for again is not encoded again.
   */
  encoded(coding: string, encode: (json: string) => Buffer): Buffer;
  /** Never set: carries T for callers that parse `json`. */
  readonly shape?: T;
}

/** An answer held by the cache, which learns the bytes of each encoding added to it. */
class CachedAnswer implements Answer<unknown> {
  private readonly encodings = new Map<string, Buffer>();

  constructor(
    readonly json: string,
    readonly etag: string,
    private readonly grew: (bytes: number) => void,
  ) {}

  encoded(coding: string, encode: (json: string) => Buffer): Buffer {
    let bytes = this.encodings.get(coding);
    if (bytes === undefined) {
      bytes = encode(this.json);
      this.encodings.set(coding, bytes);
      this.grew(coding.length + bytes.length);
    }
    return bytes;
  }
}

/** Bytes an answer costs in the cache besides its key and text (the entry, the promise, the answer object). */
const ANSWER_OVERHEAD_BYTES = 256;

export const LOYALTY_DEFINITION =
  `a client is loyal when their purchases over the period (sum of nb_achats) are at least ${LOYAL_MIN_PURCHASES}, ` +
  'occasional otherwise; repeat_purchase_rate = loyal_customers / total_customers; spending_tiers count client-days per segment_depense';

function sourceOf(t: TableVersion): TableSource {
  return { table: t.table, version: t.version };
}

function pageOf(p: PageParams, total: number): Page {
  return { limit: p.limit, offset: p.offset, total };
}

/**
 * The gateway's questions over the silver tables, with time travel and an answer cache.
 * Answers are keyed by endpoint, parameters and the version of every table read, so a new
 * silver commit makes new keys (old ones age out of the LRU) and no answer is ever stale for
 * the version it names. The cache is bounded by the bytes of its answers. Concurrent identical
 * requests share one computation.
 */
export class AnalyticsService {
  readonly clientDays: TableSnapshots;
  readonly countries: TableSnapshots;
  readonly segments: TableSnapshots;
  readonly bronze: TableSnapshots;
  readonly memory: SnapshotMemory;
  private readonly answers: LruCache<string, Promise<Answer<unknown> | null>>;
  private readonly maxScanRows: number;
  private readonly warmer: AnswerWarmer;

  constructor(private readonly opts: AnalyticsOptions) {
    this.memory = new SnapshotMemory(opts.snapshotMaxBytes ?? 512 * 1024 * 1024);
    const snapshotOpts = { refreshIntervalMs: opts.refreshIntervalMs, memory: this.memory };
    this.warmer = new AnswerWarmer(opts.warmAnswers ?? 0, (endpoint, error) => opts.onAnswerWarmed?.(endpoint, 'failed', error));
    // Bronze changes at every ingestor flush and only freshness reads it (no DuckDB): a new bronze version warms nothing.
    const silverOpts = { ...snapshotOpts, onNewVersion: () => void this.warmer.warm() };
    const silver = (def: TableDefinition) => new TableSnapshots(def.name, tableLocation(opts.lakehouseRoot, def), silverOpts);
    this.clientDays = silver(CLIENT_AGGREGATES_TABLE);
    this.countries = silver(COUNTRY_AGGREGATES_TABLE);
    this.segments = silver(SEGMENT_AGGREGATES_TABLE);
    this.bronze = new TableSnapshots(BRONZE_TABLE.name, tableLocation(opts.lakehouseRoot, BRONZE_TABLE), snapshotOpts);
    this.answers = new LruCache(opts.cacheMaxBytes);
    this.maxScanRows = opts.maxScanRows ?? Number.MAX_SAFE_INTEGER;
  }

  get silverTables(): TableSnapshots[] {
    return [this.clientDays, this.countries, this.segments];
  }

  /** The silver tables and bronze: every table the gateway reads. */
  get tables(): TableSnapshots[] {
    return [...this.silverTables, this.bronze];
  }

  /** Looks at the tables' logs in the background while they are asked for (TableSnapshots.startPolling), until close(). */
  startPolling(): void {
    for (const t of this.tables) t.startPolling();
  }

  close(): void {
    for (const t of this.tables) t.stopPolling();
  }

  /** Bytes held by the answer cache. */
  get cachedAnswerBytes(): number {
    return this.answers.cost;
  }

  /**
   * A request's answer, made by `make`; one about the latest versions is counted for the warming,
   * which makes it again with the same parameters when a silver table gets a new version.
   */
  private async answer<R>(endpoint: string, params: object, asOf: AsOf, make: (lookup: Lookup) => Promise<R>): Promise<R> {
    const question = `${endpoint} ${JSON.stringify(params)}`;
    const answer = await make({ endpoint, question, origin: 'request' });
    if (asOf.version === undefined && asOf.timestamp === undefined) this.warmer.asked(endpoint, question, () => make({ endpoint, question, origin: 'warming' }));
    return answer;
  }

  private cached<T>(lookup: Lookup, versions: Array<TableVersion | undefined>, compute: () => Promise<T | undefined>): Promise<Answer<T> | null> {
    const { endpoint } = lookup;
    const tables = versions.map((v, i) => (v ? `${v.table}@${v.version}` : `#${i}@none`)).join(',');
    const key = `${lookup.question} ${tables}`;
    const keyBytes = 2 * key.length + ANSWER_OVERHEAD_BYTES;
    let made: Promise<Answer<T> | null> | undefined;
    let cost = keyBytes;
    const grew = (bytes: number) => this.answers.setCost(key, made!, (cost += bytes));
    const answer = this.answers.getOrCreate(
      key,
      () => {
        made = compute().then((value) =>
          value === undefined ? null : new CachedAnswer(JSON.stringify(value), `W/"${createHash('sha1').update(key).digest('base64url')}"`, grew),
        );
        void made.then((a) => a && grew(a.json.length + a.etag.length), () => undefined);
        return made;
      },
      (hit) => (lookup.origin === 'request' ? this.opts.onCacheLookup?.(endpoint, hit) : this.opts.onAnswerWarmed?.(endpoint, hit ? 'cached' : 'computed')),
      keyBytes,
    );
    return answer as Promise<Answer<T> | null>;
  }

  /** Refuses a query whose rows (from file statistics) exceed the bound, naming the parameters that narrow it. */
  private bounded(selection: Selection, parameters: string[]): Selection {
    if (selection.rowsScanned > this.maxScanRows) throw new QueryTooLargeError(parameters, selection.rowsScanned, this.maxScanRows);
    return selection;
  }

  async topCustomers(p: TopCustomersParams, asOf: AsOf = {}): Promise<Answer<WithCurrency<WithPage<WithSource<{ customers: TopCustomer[] }>>>>> {
    const params: TopCustomersParams = { limit: p.limit, offset: p.offset, from: p.from, to: p.to, pays: p.pays?.toLowerCase(), segment: p.segment };
    return this.answer('top-customers', params, asOf, async (lookup) => {
      const t = await this.clientDays.at(asOf);
      return this.cached(lookup, [t], async () => {
        const { items, total } = await queryTopCustomers(t, params, this.bounded(await topCustomersSelection(t, params), ['from', 'to']));
        return { source: sourceOf(t), currency: CURRENCY, page: pageOf(params, total), customers: items };
      }) as Promise<Answer<WithCurrency<WithPage<WithSource<{ customers: TopCustomer[] }>>>>>;
    });
  }

  /** With a date range the answer comes from ventes_aggreges (per day), else from ventes_par_pays (all time). */
  async revenueByCountry(range: DateRange & PageParams, asOf: AsOf = {}): Promise<Answer<WithCurrency<WithPage<WithSource<{ countries: CountryRevenue[] }>>>>> {
    const params = { from: range.from, to: range.to, limit: range.limit, offset: range.offset };
    const whole = params.from === undefined && params.to === undefined;
    return this.answer('revenue-by-country', params, asOf, async (lookup) => {
      const t = await (whole ? this.countries : this.clientDays).at(asOf);
      return this.cached(lookup, [t], async () => {
        const { items, total } = whole
          ? await queryCountryRevenue(t, params)
          : await queryCountryRevenueFromClientDays(t, params, params, this.bounded(await t.select(dateRangeFilters(params)), ['from', 'to']));
        return { source: sourceOf(t), currency: CURRENCY, page: pageOf(params, total), countries: items };
      }) as Promise<Answer<WithCurrency<WithPage<WithSource<{ countries: CountryRevenue[] }>>>>>;
    });
  }

  async segmentRevenue(page: PageParams, asOf: AsOf = {}): Promise<Answer<WithCurrency<WithPage<WithSource<{ segments: SegmentRevenue[] }>>>>> {
    const params = { limit: page.limit, offset: page.offset };
    return this.answer('segments', params, asOf, async (lookup) => {
      const t = await this.segments.at(asOf);
      return this.cached(lookup, [t], async () => {
        const { items, total } = await querySegments(t, params);
        return { source: sourceOf(t), currency: CURRENCY, page: pageOf(params, total), segments: items };
      }) as Promise<Answer<WithCurrency<WithPage<WithSource<{ segments: SegmentRevenue[] }>>>>>;
    });
  }

  async revenueTrends(p: RevenueTrendsParams, asOf: AsOf = {}): Promise<Answer<WithCurrency<WithPage<WithSource<{ granularity: string; periods: RevenuePeriod[] }>>>>> {
    const params: RevenueTrendsParams = { granularity: p.granularity, from: p.from, to: p.to, limit: p.limit, offset: p.offset };
    return this.answer('revenue-trends', params, asOf, async (lookup) => {
      const t = await this.clientDays.at(asOf);
      return this.cached(lookup, [t], async () => {
        const { items, total } = await queryRevenueTrends(t, params, this.bounded(await t.select(dateRangeFilters(params)), ['from', 'to']));
        return { source: sourceOf(t), currency: CURRENCY, granularity: params.granularity, page: pageOf(params, total), periods: items };
      }) as Promise<Answer<WithCurrency<WithPage<WithSource<{ granularity: string; periods: RevenuePeriod[] }>>>>>;
    });
  }

  async loyalty(range: DateRange, asOf: AsOf = {}): Promise<Answer<WithCurrency<WithSource<{ definition: string } & LoyaltySummary>>>> {
    const params: DateRange = { from: range.from, to: range.to };
    return this.answer('loyalty', params, asOf, async (lookup) => {
      const t = await this.clientDays.at(asOf);
      return this.cached(lookup, [t], async () => ({
        source: sourceOf(t),
        currency: CURRENCY,
        definition: LOYALTY_DEFINITION,
        ...(await queryLoyalty(t, params, this.bounded(await t.select(dateRangeFilters(params)), ['from', 'to']))),
      })) as Promise<Answer<WithCurrency<WithSource<{ definition: string } & LoyaltySummary>>>>;
    });
  }

  /** A client's totals and a window of their days; throws ClientNotFoundError when the version read has no row for the client. */
  async customer(clientId: number, page: PageParams, asOf: AsOf = {}): Promise<Answer<WithCurrency<WithPage<WithSource<CustomerDetail>>>>> {
    const params = { clientId, limit: page.limit, offset: page.offset };
    return this.answer('customer', params, asOf, async (lookup) => {
      const t = await this.clientDays.at(asOf);
      const answer = await this.cached(lookup, [t], async () => {
        const detail = await queryCustomer(t, clientId, params);
        if (!detail) return undefined;
        const { history_total, history, ...rest } = detail;
        return { source: sourceOf(t), currency: CURRENCY, ...rest, page: pageOf(params, history_total), history };
      });
      if (!answer) throw new ClientNotFoundError(clientId, t.table, t.version);
      return answer as Answer<WithCurrency<WithPage<WithSource<CustomerDetail>>>>;
    });
  }

  /**
   * Versions, commit times and row counts of the silver tables (as of `asOf`) and of bronze
   * (always the latest). Tables not written yet are reported unavailable instead of failing:
   * this is the endpoint that tells whether silver has been computed.
   */
  async freshness(asOf: AsOf = {}): Promise<Answer<Freshness>> {
    return this.answer('freshness', {}, asOf, async (lookup) => {
      const silver = await Promise.all(this.silverTables.map((s) => availableAt(s, asOf)));
      const bronze = await this.bronze.latestIfExists();
      return this.cached(lookup, [...silver, bronze], async () => {
        const silverFreshness = await Promise.all(silver.map((t, i) => tableFreshness(this.silverTables[i].table, 'silver', t)));
        const commits = silverFreshness.map((f) => f.last_commit_at).filter((t): t is string => t !== null);
        return {
          last_silver_refresh: commits.length ? commits.reduce((a, b) => (a > b ? a : b)) : null,
          silver: silverFreshness,
          bronze: { ...(await tableFreshness(this.bronze.table, 'bronze', bronze)), latest_event_time: bronze ? latestEventTime(bronze) : null },
        };
      }) as Promise<Answer<Freshness>>;
    });
  }

  /**
   * The latest version of every silver table (undefined for those not written yet), and the
   * error of the last look at its log if it failed (health: callers log it, and show clients only
   * that the log cannot be read).
   */
  async silverStatus(): Promise<Array<{ table: string; version?: number; error?: Error }>> {
    return Promise.all(
      this.silverTables.map(async (s) => {
        try {
          return { table: s.table, version: (await s.latestIfExists())?.version, error: s.refreshError };
        } catch (e) {
          return { table: s.table, error: e as Error };
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
