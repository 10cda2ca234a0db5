/**
 * The public /analytics API as the page uses it: JSON over fetch, with the user's API key as a
 * Bearer token when one was given (kept in sessionStorage, so it ends with the tab).
 */

export interface TableSource {
  table: string;
  version: number;
}

/** Paging metadata of list answers, when the gateway sends it. */
export interface Page {
  limit: number;
  offset: number;
  total: number;
}

export interface TopCustomer {
  client_id: number;
  client_nom: string;
  pays: string;
  segment: string;
  total_depense: number;
  nb_achats: number;
  total_quantite: number;
}

export interface TopCustomers {
  source: TableSource;
  customers: TopCustomer[];
  page?: Page;
  currency?: string;
}

export interface CountryRevenue {
  pays: string;
  revenue_total: number;
  total_transactions: number;
  transaction_moyenne: number;
  items_sold: number;
  unique_customers: number;
}

export interface RevenueByCountry {
  source: TableSource;
  countries: CountryRevenue[];
  currency?: string;
}

export interface SegmentRevenue {
  segment: string;
  total_transactions: number;
  revenue_total: number;
  transaction_moyenne: number;
  unique_customers: number;
  countries_count: number;
}

export interface Segments {
  source: TableSource;
  segments: SegmentRevenue[];
  currency?: string;
}

export type Granularity = 'day' | 'week' | 'month';

export interface RevenuePeriod {
  period: string;
  revenue_total: number;
  total_transactions: number;
  unique_customers: number;
}

export interface RevenueTrends {
  source: TableSource;
  granularity: Granularity;
  periods: RevenuePeriod[];
  currency?: string;
}

export interface SpendingTierShare {
  segment_depense: string;
  client_days: number;
  revenue_total: number;
}

export interface Loyalty {
  source: TableSource;
  total_customers: number;
  loyal_customers: number;
  occasional_customers: number;
  repeat_purchase_rate: number;
  loyal_revenue: number;
  occasional_revenue: number;
  spending_tiers: SpendingTierShare[];
  currency?: string;
}

export interface CustomerDay {
  jour: string;
  total_quantite: number;
  total_depense: number;
  nb_achats: number;
  panier_moyen: number;
  achat_min: number;
  achat_max: number;
  nb_produits_distincts: number;
  est_client_fidele: boolean;
  segment_depense: string;
}

export interface Customer {
  source: TableSource;
  client_id: number;
  client_nom: string;
  pays: string;
  segment: string;
  totals: {
    total_depense: number;
    nb_achats: number;
    total_quantite: number;
    panier_moyen: number;
    achat_min: number;
    achat_max: number;
    days_active: number;
    first_day: string;
    last_day: string;
  };
  history: CustomerDay[];
  currency?: string;
}

export interface TableFreshness {
  table: string;
  available: boolean;
  version: number | null;
  last_commit_at: string | null;
  num_records: number | null;
}

export interface Freshness {
  last_silver_refresh: string | null;
  silver: TableFreshness[];
  bronze: TableFreshness & { latest_event_time: string | null };
}

/** An answer other than 2xx, with the gateway's message (a 400 names the parameter at fault). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  /** 401 (no or unknown key) or 403 (key not allowed): the user has to give a key. */
  get needsKey(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export type Query = Record<string, string | number | undefined>;

const KEY_STORAGE = 'lakehouse.analytics.apiKey';

export class AnalyticsApi {
  constructor(private readonly storage: Storage = sessionStorage) {}

  get key(): string | null {
    return this.storage.getItem(KEY_STORAGE);
  }

  set key(value: string | null) {
    if (value) this.storage.setItem(KEY_STORAGE, value);
    else this.storage.removeItem(KEY_STORAGE);
  }

  async get<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
    const search = params.toString();
    const url = `/analytics/${path}${search ? `?${search}` : ''}`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    const key = this.key;
    if (key) headers.Authorization = `Bearer ${key}`;
    const res = await fetch(url, { headers, signal });
    if (res.ok) return (await res.json()) as T;
    throw new ApiError(res.status, await errorMessage(res));
  }
}

async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { message?: string | string[] };
    if (body.message) return ([] as string[]).concat(body.message).join('; ');
  } catch {
    // Not JSON (a proxy's page, say): the status line says enough.
  }
  return `${res.status} ${res.statusText}`;
}
