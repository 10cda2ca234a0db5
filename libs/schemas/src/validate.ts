// @app/delta/core: the classify worker loads this module and must not load the DuckDB binding.
import { toEpochMicros } from '@app/delta/core';
import { isUtf8 } from 'node:buffer';
import { isWholeCents, MAX_INT32, SALES_EVENT_FIELDS, SalesEvent, SEGMENT_SET, SEGMENTS } from './sales-event';

export interface ContractViolation {
  field: string;
  expected: string;
  got: string;
}

export type ValidationResult =
  | { ok: true; event: SalesEvent; eventTimeMicros: bigint }
  | { ok: false; violation: ContractViolation; message: string };


function show(v: unknown): string {
  if (v === undefined) return 'nothing (field missing)';
  if (v === null) return 'null';
  const text = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return `${Array.isArray(v) ? 'array' : typeof v} ${text.length > 60 ? text.slice(0, 60) + '…' : text}`;
}

function fail(field: string, expected: string, value: unknown): ValidationResult {
  const got = show(value);
  return { ok: false, violation: { field, expected, got }, message: `${field}: expected ${expected}, got ${got}` };
}

/**
 * Checks a decoded message against the contract, field by field in contract order, and stops at
 * the first violation with its field, what was expected and what came. Unknown extra fields are
 * ignored so producers can add fields before consumers know them.
 */
export function validateSalesEvent(value: unknown): ValidationResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('(message)', 'a JSON object', value);
  const obj = value as Record<string, unknown>;
  let micros = 0n;
  for (const f of SALES_EVENT_FIELDS) {
    const v = obj[f.name];
    switch (f.type) {
      case 'long':
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) return fail(f.name, 'an integer', v);
        break;
      case 'integer':
        if (typeof v !== 'number' || !Number.isInteger(v) || v > MAX_INT32 || v < -MAX_INT32 - 1) return fail(f.name, 'a 32-bit integer', v);
        break;
      case 'double':
        if (typeof v !== 'number' || !Number.isFinite(v)) return fail(f.name, 'a number', v);
        break;
      case 'string':
        if (typeof v !== 'string') return fail(f.name, 'a string', v);
        break;
      case 'timestamp': {
        const parsed = typeof v === 'string' ? toEpochMicros(v) : undefined;
        if (parsed === undefined) return fail(f.name, 'an ISO-8601 timestamp', v);
        micros = parsed;
        break;
      }
    }
    switch (f.check) {
      case 'positive':
        if ((v as number) <= 0) return fail(f.name, 'a positive integer', v);
        if ('max' in f && (v as number) > f.max) return fail(f.name, `an integer from 1 to ${f.max}`, v);
        break;
      case 'cents':
        if ((v as number) < 0) return fail(f.name, 'a non-negative amount', v);
        if ((v as number) > f.max) return fail(f.name, `an amount of at most ${f.max}`, v);
        if (!isWholeCents(v as number)) return fail(f.name, 'an amount with at most 2 decimals (whole cents)', v);
        break;
      case 'nonEmpty':
        if ((v as string).trim() === '') return fail(f.name, 'a non-empty string', v);
        break;
      case 'segment':
        if (!SEGMENT_SET.has(v as string)) return fail(f.name, `one of ${SEGMENTS.join(', ')}`, v);
        break;
    }
  }
  return { ok: true, event: value as SalesEvent, eventTimeMicros: micros };
}

export type ParseResult =
  | { ok: true; event: SalesEvent; eventTimeMicros: bigint }
  | { ok: false; reason: 'malformed_json' | 'schema_violation'; message: string };

/** Decodes a Kafka message value and validates it: the whole path from bytes to a contract-checked event. */
export function parseSalesMessage(value: Buffer | string | null): ParseResult {
  if (value === null) return { ok: false, reason: 'malformed_json', message: 'empty message (null value)' };
  if (typeof value !== 'string' && !isUtf8(value)) {
    return { ok: false, reason: 'malformed_json', message: 'invalid JSON: the payload is not valid UTF-8' };
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (e) {
    return { ok: false, reason: 'malformed_json', message: `invalid JSON: ${(e as Error).message}` };
  }
  const result = validateSalesEvent(decoded);
  return result.ok ? result : { ok: false, reason: 'schema_violation', message: result.message };
}

