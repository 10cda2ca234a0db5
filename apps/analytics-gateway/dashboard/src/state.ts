import { Granularity, Query } from './api';

/**
 * What the page shows, kept in the URL's query string so that a view can be bookmarked and
 * shared. The names are the API's parameter names where there is one.
 */
export interface ViewState {
  from?: string;
  to?: string;
  pays?: string;
  segment?: string;
  granularity: Granularity;
  asOfVersion?: number;
  asOfTimestamp?: string;
  /** First row of the top-customers page shown. */
  offset: number;
  /** The customer page, when set. */
  client?: number;
  /** UI language and number format; the browser's when absent. */
  lang?: string;
}

const GRANULARITIES: readonly Granularity[] = ['day', 'week', 'month'];
export const SEGMENTS = ['Particulier', 'Entreprise'] as const;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function nonNegativeInt(value: string | null): number | undefined {
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** Reads a state from a query string; values that cannot be right are dropped rather than sent to the API. */
export function parseState(search: string): ViewState {
  const q = new URLSearchParams(search);
  const text = (name: string) => q.get(name)?.trim() || undefined;
  const day = (name: string) => (DAY.test(q.get(name) ?? '') ? (q.get(name) as string) : undefined);
  const granularity = q.get('granularity') as Granularity;
  const segment = text('segment');
  const client = nonNegativeInt(q.get('client'));
  const asOfVersion = nonNegativeInt(q.get('asOfVersion'));
  return {
    from: day('from'),
    to: day('to'),
    pays: text('pays'),
    segment: SEGMENTS.includes(segment as (typeof SEGMENTS)[number]) ? segment : undefined,
    granularity: GRANULARITIES.includes(granularity) ? granularity : 'day',
    asOfVersion,
    asOfTimestamp: asOfVersion === undefined ? text('asOfTimestamp') : undefined,
    offset: nonNegativeInt(q.get('offset')) ?? 0,
    client: client && client > 0 ? client : undefined,
    lang: text('lang'),
  };
}

/** The query string of a state, without defaults, in a stable order. */
export function formatState(state: ViewState): string {
  const q = new URLSearchParams();
  const put = (name: string, value: string | number | undefined) => {
    if (value !== undefined && value !== '') q.set(name, String(value));
  };
  put('from', state.from);
  put('to', state.to);
  put('pays', state.pays);
  put('segment', state.segment);
  if (state.granularity !== 'day') put('granularity', state.granularity);
  put('asOfVersion', state.asOfVersion);
  put('asOfTimestamp', state.asOfTimestamp);
  if (state.offset) put('offset', state.offset);
  put('client', state.client);
  put('lang', state.lang);
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** Time travel parameters, taken by every endpoint. */
export function asOfQuery(state: ViewState): Query {
  return { asOfVersion: state.asOfVersion, asOfTimestamp: state.asOfTimestamp };
}

export function rangeQuery(state: ViewState): Query {
  return { from: state.from, to: state.to, ...asOfQuery(state) };
}

export function isTimeTravelling(state: ViewState): boolean {
  return state.asOfVersion !== undefined || state.asOfTimestamp !== undefined;
}
