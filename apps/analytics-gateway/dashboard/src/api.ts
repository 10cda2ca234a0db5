/**
 * The public /analytics API as the page uses it: JSON over fetch, with the user's API key as a
 * Bearer token when one was given (kept in sessionStorage, so it ends with the tab).
 */

import type {
  CountryRevenue,
  CustomerDetail,
  Freshness,
  Granularity,
  LoyaltySummary,
  Page,
  RevenuePeriod,
  SegmentRevenue,
  TableSource,
  TopCustomer,
} from '@app/analytics';

// The answers' parts are the analytics library's own types. The import is type-only: esbuild
// erases it, so the page bundles none of the library (see the page's tsconfig for the check).
export type { Freshness, Granularity };

/** What the gateway adds to every query's result: the table version read, the currency of the amounts. */
interface Answer {
  source: TableSource;
  currency?: string;
}

export interface TopCustomers extends Answer {
  customers: TopCustomer[];
  /** Paging metadata, when the gateway sends it. */
  page?: Page;
}

export interface RevenueByCountry extends Answer {
  countries: CountryRevenue[];
}

export interface Segments extends Answer {
  segments: SegmentRevenue[];
}

export interface RevenueTrends extends Answer {
  granularity: Granularity;
  periods: RevenuePeriod[];
}

export type Loyalty = Answer & LoyaltySummary;

export type Customer = Answer & CustomerDetail;

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
