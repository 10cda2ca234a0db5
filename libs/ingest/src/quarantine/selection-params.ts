import type { QuarantineReason } from '@app/schemas';
import { checkSelection, InvalidSelectionError, QuarantineSelection } from './quarantine-query';

/** What the HTTP API and the CLI take to list quarantine rows: a selection and a page. */
export interface ListParams {
  selection: QuarantineSelection;
  limit: number;
  offset: number;
}

/** What they take to replay rows: a selection and the replay's options. */
export interface ReplayParams {
  selection: QuarantineSelection;
  skipWatermark: boolean;
  skipFutureCheck: boolean;
  dryRun: boolean;
  chunkRows?: number;
}

export const MAX_PAGE_ROWS = 1000;
const SELECTION_PARAMS = ['reason', 'from', 'to', 'partition', 'fromOffset', 'toOffset'];
const LIST_PARAMS = [...SELECTION_PARAMS, 'limit', 'offset'];
const REPLAY_PARAMS = [...SELECTION_PARAMS, 'skipWatermark', 'skipFutureCheck', 'dryRun', 'chunkRows'];

type Params = Record<string, unknown>;

function text(params: Params, name: string): string | undefined {
  const v = params[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new InvalidSelectionError(name, `expected a single value, got ${JSON.stringify(v)}`);
  return String(v);
}

function integer(params: Params, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = text(params, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) throw new InvalidSelectionError(name, `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

function flag(params: Params, name: string): boolean {
  const v = text(params, name);
  if (v === undefined) return false;
  if (v !== 'true' && v !== 'false') throw new InvalidSelectionError(name, `expected true or false, got ${JSON.stringify(v)}`);
  return v === 'true';
}

function selectionOf(params: Params, allowed: readonly string[]): QuarantineSelection {
  const unknown = Object.keys(params).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw new InvalidSelectionError(unknown, `unknown parameter (expected ${allowed.join(', ')})`);
  const reasons = text(params, 'reason')?.split(',').map((r) => r.trim()) as QuarantineReason[] | undefined;
  const selection: QuarantineSelection = {
    ...(reasons ? { reasons } : {}),
    ...(text(params, 'from') !== undefined ? { from: text(params, 'from') } : {}),
    ...(text(params, 'to') !== undefined ? { to: text(params, 'to') } : {}),
  };
  for (const key of ['partition', 'fromOffset', 'toOffset'] as const) {
    const v = integer(params, key, 0);
    if (v !== undefined) selection[key] = v;
  }
  checkSelection(selection);
  return selection;
}

/** Parses list parameters (query strings or a JSON body); throws InvalidSelectionError naming the first bad one. */
export function parseListParams(params: Params): ListParams {
  return {
    selection: selectionOf(params, LIST_PARAMS),
    limit: integer(params, 'limit', 1, MAX_PAGE_ROWS) ?? 100,
    offset: integer(params, 'offset', 0) ?? 0,
  };
}

/** Parses replay parameters; a replay needs at least one condition, so that "everything" is never replayed by accident. */
export function parseReplayParams(params: Params): ReplayParams {
  const selection = selectionOf(params, REPLAY_PARAMS);
  if (Object.keys(selection).length === 0) throw new InvalidSelectionError('reason', 'a replay needs a selection: reason, from/to, or partition (with fromOffset/toOffset)');
  const chunkRows = integer(params, 'chunkRows', 1);
  return {
    selection,
    skipWatermark: flag(params, 'skipWatermark'),
    skipFutureCheck: flag(params, 'skipFutureCheck'),
    dryRun: flag(params, 'dryRun'),
    ...(chunkRows !== undefined ? { chunkRows } : {}),
  };
}
