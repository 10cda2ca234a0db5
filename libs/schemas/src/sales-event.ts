// @app/delta/core: the classify worker loads this module and must not load the DuckDB binding.
import { field, PrimitiveType, struct, StructType } from '@app/delta/core';

/**
 * Bounds of `quantite` and `montant`, so that every accepted event aggregates exactly in silver,
 * which turns amounts into integer cents (BIGINT) and sums them. At most 10^8 cents per sale, a
 * client day's BIGINT sum stays exact for 9 x 10^10 sales; the per-country and per-segment
 * totals, which go through a double of euros, stay exact up to 2^52 cents (45 x 10^12 EUR, so
 * 45 million sales at the bound). A sale above them is a schema_violation naming the field.
 */
export const MAX_QUANTITE = 10_000;
/** In euros; `montant` also has at most 2 decimals (a whole number of cents, see isWholeCents). */
export const MAX_MONTANT = 1_000_000;

/**
 * Whether an amount is a whole number of cents: the double nearest to a decimal with at most 2
 * decimals (the one JSON.parse gives for "12.34"). Below 2^53 / 100 both the product and the
 * division round once, so this holds exactly for those doubles and for no other.
 */
export function isWholeCents(euros: number): boolean {
  return Math.round(euros * 100) / 100 === euros;
}

/**
 * The sales event, as the producer publishes it to `ventes_stream` (seed ARCHITECTURE.md,
 * "Data Structure"). The French field names are the public contract; this list is the one
 * place they are defined: the TypeScript type, the validator and every Delta schema derive from it.
 */
export const SALES_EVENT_FIELDS = [
  { name: 'vente_id', type: 'long', check: 'positive' },
  { name: 'client_id', type: 'integer', check: 'positive' },
  { name: 'produit_id', type: 'integer', check: 'positive' },
  { name: 'timestamp', type: 'timestamp', check: 'none' },
  { name: 'quantite', type: 'integer', check: 'positive', max: MAX_QUANTITE },
  { name: 'montant', type: 'double', check: 'cents', max: MAX_MONTANT },
  { name: 'client_nom', type: 'string', check: 'nonEmpty' },
  { name: 'produit_nom', type: 'string', check: 'nonEmpty' },
  { name: 'categorie', type: 'string', check: 'nonEmpty' },
  { name: 'pays', type: 'string', check: 'nonEmpty' },
  { name: 'segment', type: 'string', check: 'segment' },
] as const satisfies ReadonlyArray<{ name: string; type: PrimitiveType; check: string; max?: number }>;

export const SEGMENTS = ['Particulier', 'Entreprise'] as const;
export type Segment = (typeof SEGMENTS)[number];
export const SEGMENT_SET: ReadonlySet<string> = new Set(SEGMENTS);

/** Largest value of an `integer` field (Delta integer, 32-bit). */
export const MAX_INT32 = 2147483647;

type JsTypeOf<T extends PrimitiveType> = T extends 'string' | 'timestamp' | 'date' ? string : T extends 'boolean' ? boolean : number;

/** A sales event as published: the timestamp is an ISO-8601 string (UTC when it has no offset). */
export type SalesEvent = {
  [F in (typeof SALES_EVENT_FIELDS)[number] as F['name']]: F['name'] extends 'segment' ? Segment : JsTypeOf<F['type']>;
};

/** The event's columns in Delta; every one is required. */
export const salesEventSchema: StructType = struct(SALES_EVENT_FIELDS.map((f) => field(f.name, f.type, false)));
