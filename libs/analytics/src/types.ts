/**
 * Parameters and answers of the analytics queries. Field names are the silver columns'
 * (French, snake_case) so one vocabulary runs from the Delta tables to the JSON; money is
 * rounded to cents.
 */

/** Inclusive bounds on `jour` (YYYY-MM-DD); either may be absent. */
export interface DateRange {
  from?: string;
  to?: string;
}

/** A window of a list: `limit` items from the `offset`-th (0-based) in the list's order. */
export interface PageParams {
  limit: number;
  offset: number;
}

/** The window a list answer holds, and how many items the whole list has. */
export interface Page extends PageParams {
  total: number;
}

/** One window of a list, and its size. */
export interface Paged<T> {
  items: T[];
  total: number;
}

/** Every amount of money the API returns is in this currency. */
export const CURRENCY = 'EUR';

export interface TopCustomersParams extends DateRange, PageParams {
  /** Matched without regard to case. */
  pays?: string;
  segment?: string;
}

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export interface RevenueTrendsParams extends DateRange, PageParams {
  granularity: Granularity;
}

/** The table and version an answer was computed from. */
export interface TableSource {
  table: string;
  version: number;
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

export interface CountryRevenue {
  pays: string;
  revenue_total: number;
  total_transactions: number;
  transaction_moyenne: number;
  items_sold: number;
  unique_customers: number;
}

export interface SegmentRevenue {
  segment: string;
  total_transactions: number;
  revenue_total: number;
  transaction_moyenne: number;
  unique_customers: number;
  countries_count: number;
}

export interface RevenuePeriod {
  /** First day of the period (weeks start on Monday, ISO 8601). */
  period: string;
  revenue_total: number;
  total_transactions: number;
  unique_customers: number;
}

export interface SpendingTierShare {
  segment_depense: string;
  /** Client-days in the tier: `segment_depense` is set per client and day. */
  client_days: number;
  revenue_total: number;
}

export interface LoyaltySummary {
  total_customers: number;
  loyal_customers: number;
  occasional_customers: number;
  /** loyal_customers / total_customers, 4 decimals; 0 when there are no customers. */
  repeat_purchase_rate: number;
  loyal_revenue: number;
  occasional_revenue: number;
  spending_tiers: SpendingTierShare[];
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

export interface CustomerTotals {
  total_depense: number;
  nb_achats: number;
  total_quantite: number;
  panier_moyen: number;
  achat_min: number;
  achat_max: number;
  days_active: number;
  first_day: string;
  last_day: string;
}

export interface CustomerDetail {
  client_id: number;
  /** Name, country and segment as of the client's latest day. */
  client_nom: string;
  pays: string;
  segment: string;
  totals: CustomerTotals;
  history: CustomerDay[];
}

export interface TableFreshness {
  table: string;
  layer: 'bronze' | 'silver';
  /** False while the table has not been written yet (the other fields are then null). */
  available: boolean;
  version: number | null;
  /** ISO-8601 time of the version's commit. */
  last_commit_at: string | null;
  /** From the file statistics (numRecords) of the version. */
  num_records: number | null;
}

export interface BronzeFreshness extends TableFreshness {
  /** Newest event `timestamp` in bronze, from file statistics (rounded up to the millisecond). */
  latest_event_time: string | null;
}

export interface Freshness {
  /** Newest commit time among the silver tables read: when the silver job last refreshed them. */
  last_silver_refresh: string | null;
  silver: TableFreshness[];
  bronze: BronzeFreshness;
}
