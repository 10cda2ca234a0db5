// A deep import: the classify worker loads this module and must not load the DuckDB binding.
import { field, PrimitiveType, struct, StructType } from '@app/delta/schema/types';

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
  { name: 'quantite', type: 'integer', check: 'positive' },
  { name: 'montant', type: 'double', check: 'nonNegative' },
  { name: 'client_nom', type: 'string', check: 'nonEmpty' },
  { name: 'produit_nom', type: 'string', check: 'nonEmpty' },
  { name: 'categorie', type: 'string', check: 'nonEmpty' },
  { name: 'pays', type: 'string', check: 'nonEmpty' },
  { name: 'segment', type: 'string', check: 'segment' },
] as const satisfies ReadonlyArray<{ name: string; type: PrimitiveType; check: string }>;

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
