/**
 * Delta table schemas, serialised as Spark StructType JSON in `metaData.schemaString`
 * (PROTOCOL.md "Schema Serialization Format"). Only primitive column types are supported:
 * they are all the data contract needs, and nested types would need stats and checkpoint
 * handling we do not test.
 */
export type PrimitiveType =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'double'
  | 'float'
  | 'boolean'
  | 'date'
  | 'timestamp'
  | 'binary';

export interface StructField {
  name: string;
  type: PrimitiveType;
  nullable: boolean;
  metadata?: Record<string, unknown>;
}

export interface StructType {
  type: 'struct';
  fields: StructField[];
}

const PRIMITIVES: ReadonlySet<string> = new Set<PrimitiveType>([
  'string',
  'long',
  'integer',
  'short',
  'byte',
  'double',
  'float',
  'boolean',
  'date',
  'timestamp',
  'binary',
]);

export function struct(fields: StructField[]): StructType {
  const seen = new Set<string>();
  for (const f of fields) {
    const key = f.name.toLowerCase();
    if (seen.has(key)) throw new Error(`duplicate column name "${f.name}" (Delta column names are case-insensitive)`);
    if (/[ ,;{}()\n\t=]/.test(f.name)) throw new Error(`column name "${f.name}" needs column mapping, which is not supported`);
    seen.add(key);
  }
  return { type: 'struct', fields };
}

export function field(name: string, type: PrimitiveType, nullable = true): StructField {
  return { name, type, nullable, metadata: {} };
}

export function serializeSchema(schema: StructType): string {
  return JSON.stringify({
    type: 'struct',
    fields: schema.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable, metadata: f.metadata ?? {} })),
  });
}

export function parseSchema(schemaString: string): StructType {
  const raw = JSON.parse(schemaString) as { type: string; fields: Array<Record<string, unknown>> };
  if (raw.type !== 'struct' || !Array.isArray(raw.fields)) throw new Error('schemaString is not a struct type');
  return {
    type: 'struct',
    fields: raw.fields.map((f) => {
      if (typeof f.type !== 'string' || !PRIMITIVES.has(f.type)) {
        throw new Error(`column "${String(f.name)}" has unsupported type ${JSON.stringify(f.type)}`);
      }
      return {
        name: String(f.name),
        type: f.type as PrimitiveType,
        nullable: f.nullable !== false,
        metadata: (f.metadata as Record<string, unknown>) ?? {},
      };
    }),
  };
}

/** The DuckDB SQL type a Delta column is written and read as; TIMESTAMPTZ gives Parquet TIMESTAMP(MICROS, UTC). */
export function duckdbType(type: PrimitiveType): string {
  switch (type) {
    case 'string':
      return 'VARCHAR';
    case 'long':
      return 'BIGINT';
    case 'integer':
      return 'INTEGER';
    case 'short':
      return 'SMALLINT';
    case 'byte':
      return 'TINYINT';
    case 'double':
      return 'DOUBLE';
    case 'float':
      return 'FLOAT';
    case 'boolean':
      return 'BOOLEAN';
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMPTZ';
    case 'binary':
      return 'BLOB';
  }
}

/** Columns whose min/max Delta readers use for data skipping (Spark's SkippingEligibleDataType). */
export function hasMinMaxStats(type: PrimitiveType): boolean {
  return type !== 'boolean' && type !== 'binary';
}

export function sameSchema(a: StructType, b: StructType): boolean {
  return serializeSchema(a) === serializeSchema(b);
}
