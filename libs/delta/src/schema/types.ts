/**
 * Delta table schemas, serialised as Spark StructType JSON in `metaData.schemaString`
 * (PROTOCOL.md "Schema Serialization Format"): the primitive types, decimal(p,s), and the
 * nested struct, array and map types that Spark writes.
 */
import { SchemaMismatchError, UnsupportedProtocolError } from '../errors';

/** decimal(precision, scale), as the schema JSON spells it. */
export type DecimalTypeName = `decimal(${number},${number})`;

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
  | 'timestamp_ntz'
  | 'binary'
  | DecimalTypeName;

export interface ArrayType {
  type: 'array';
  elementType: DataType;
  containsNull: boolean;
}

export interface MapType {
  type: 'map';
  keyType: DataType;
  valueType: DataType;
  valueContainsNull: boolean;
}

export interface StructField {
  name: string;
  type: DataType;
  nullable: boolean;
  metadata?: Record<string, unknown>;
}

export interface StructType {
  type: 'struct';
  fields: StructField[];
}

export type DataType = PrimitiveType | ArrayType | MapType | StructType;

/** The largest precision of a Delta decimal (Spark's DecimalType.MAX_PRECISION). */
export const MAX_DECIMAL_PRECISION = 38;

const NAMED_PRIMITIVES: ReadonlySet<string> = new Set([
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
  'timestamp_ntz',
  'binary',
]);

const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

export interface DecimalShape {
  precision: number;
  scale: number;
}

/** Precision and scale of a decimal type, or undefined for any other type. */
export function decimalShape(type: DataType): DecimalShape | undefined {
  if (typeof type !== 'string') return undefined;
  const m = DECIMAL.exec(type);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined;
}

/** The type `decimal(precision,scale)`, checked against Delta's limits. */
export function decimal(precision: number, scale: number): DecimalTypeName {
  if (!(Number.isInteger(precision) && precision >= 1 && precision <= MAX_DECIMAL_PRECISION)) {
    throw new SchemaMismatchError(`decimal precision must be an integer in [1, ${MAX_DECIMAL_PRECISION}], got ${precision}`);
  }
  if (!(Number.isInteger(scale) && scale >= 0 && scale <= precision)) {
    throw new SchemaMismatchError(`decimal scale must be an integer in [0, precision ${precision}], got ${scale}`);
  }
  return `decimal(${precision},${scale})`;
}

export function isPrimitive(type: DataType): type is PrimitiveType {
  return typeof type === 'string';
}

export function struct(fields: StructField[]): StructType {
  const seen = new Set<string>();
  for (const f of fields) {
    const key = f.name.toLowerCase();
    if (seen.has(key)) throw new SchemaMismatchError(`duplicate column name "${f.name}" (Delta column names are case-insensitive)`);
    if (/[ ,;{}()\n\t=]/.test(f.name)) throw new UnsupportedProtocolError(`column name "${f.name}" needs column mapping, which is not supported`);
    seen.add(key);
  }
  return { type: 'struct', fields };
}

export function field(name: string, type: DataType, nullable = true): StructField {
  return { name, type, nullable, metadata: {} };
}

/** A type as the schema JSON holds it, with the keys in Spark's order. */
function typeJson(type: DataType): unknown {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'struct':
      return {
        type: 'struct',
        fields: type.fields.map((f) => ({ name: f.name, type: typeJson(f.type), nullable: f.nullable, metadata: f.metadata ?? {} })),
      };
    case 'array':
      return { type: 'array', elementType: typeJson(type.elementType), containsNull: type.containsNull };
    case 'map':
      return { type: 'map', keyType: typeJson(type.keyType), valueType: typeJson(type.valueType), valueContainsNull: type.valueContainsNull };
  }
}

export function serializeSchema(schema: StructType): string {
  return JSON.stringify(typeJson(schema));
}

/** One type of the schema JSON; `where` names the column for errors. */
function parseType(raw: unknown, where: string): DataType {
  if (typeof raw === 'string') {
    if (NAMED_PRIMITIVES.has(raw)) return raw as PrimitiveType;
    const shape = decimalShape(raw as PrimitiveType);
    if (shape) return decimal(shape.precision, shape.scale);
    throw new SchemaMismatchError(`column "${where}" has unsupported type ${JSON.stringify(raw)}`);
  }
  const t = raw as Record<string, unknown> | null;
  switch (t?.type) {
    case 'struct':
      return parseStruct(t, where);
    case 'array':
      return { type: 'array', elementType: parseType(t.elementType, `${where}.element`), containsNull: t.containsNull !== false };
    case 'map':
      return {
        type: 'map',
        keyType: parseType(t.keyType, `${where}.key`),
        valueType: parseType(t.valueType, `${where}.value`),
        valueContainsNull: t.valueContainsNull !== false,
      };
    default:
      throw new SchemaMismatchError(`column "${where}" has unsupported type ${JSON.stringify(raw)}`);
  }
}

function parseStruct(raw: Record<string, unknown>, where?: string): StructType {
  if (!Array.isArray(raw.fields)) throw new SchemaMismatchError(`${where ? `column "${where}"` : 'schemaString'} is a struct without fields`);
  return {
    type: 'struct',
    fields: (raw.fields as Array<Record<string, unknown>>).map((f) => {
      const name = String(f.name);
      return {
        name,
        type: parseType(f.type, where ? `${where}.${name}` : name),
        nullable: f.nullable !== false,
        metadata: (f.metadata as Record<string, unknown>) ?? {},
      };
    }),
  };
}

export function parseSchema(schemaString: string): StructType {
  const raw = JSON.parse(schemaString) as Record<string, unknown>;
  if (raw?.type !== 'struct') throw new SchemaMismatchError('schemaString is not a struct type');
  return parseStruct(raw);
}

/** Whether a type, or any type nested in it, is timestamp_ntz (the `timestampNtz` table feature). */
export function usesTimestampNtz(type: DataType): boolean {
  if (typeof type === 'string') return type === 'timestamp_ntz';
  switch (type.type) {
    case 'struct':
      return type.fields.some((f) => usesTimestampNtz(f.type));
    case 'array':
      return usesTimestampNtz(type.elementType);
    case 'map':
      return usesTimestampNtz(type.keyType) || usesTimestampNtz(type.valueType);
  }
}

/** A struct field name quoted for a DuckDB type. */
function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The DuckDB SQL type a Delta column is written and read as: TIMESTAMPTZ gives Parquet
 * TIMESTAMP(MICROS, UTC), TIMESTAMP gives TIMESTAMP(MICROS, not adjusted to UTC) as
 * timestamp_ntz must be, DECIMAL(p,s) the Parquet DECIMAL of the same precision and scale.
 */
export function duckdbType(type: DataType): string {
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
    case 'timestamp_ntz':
      return 'TIMESTAMP';
    case 'binary':
      return 'BLOB';
  }
  if (typeof type === 'string') {
    const { precision, scale } = decimalShape(type)!;
    return `DECIMAL(${precision},${scale})`;
  }
  switch (type.type) {
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `${quoted(f.name)} ${duckdbType(f.type)}`).join(', ')})`;
    case 'array':
      return `${duckdbType(type.elementType)}[]`;
    case 'map':
      return `MAP(${duckdbType(type.keyType)}, ${duckdbType(type.valueType)})`;
  }
}

/**
 * Columns whose min/max Delta readers use for data skipping (Spark's SkippingEligibleDataType):
 * primitives other than boolean and binary. Nested columns get no stats from this library.
 */
export function hasMinMaxStats(type: DataType): boolean {
  return typeof type === 'string' && type !== 'boolean' && type !== 'binary';
}

/** A short name of a type for messages: its JSON for nested types. */
export function typeName(type: DataType): string {
  return typeof type === 'string' ? type : type.type;
}

export function sameSchema(a: StructType, b: StructType): boolean {
  return serializeSchema(a) === serializeSchema(b);
}
