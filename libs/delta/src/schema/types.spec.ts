import { SchemaMismatchError } from '../errors';
import { decimal, duckdbType, parseSchema, serializeSchema, struct, field, usesTimestampNtz } from './types';

describe('schema types', () => {
  const nested = struct([
    field('id', 'long', false),
    field('amount', decimal(38, 18)),
    field('point', { type: 'struct', fields: [field('x', 'integer'), field('at', 'timestamp_ntz')] }),
    field('tags', { type: 'array', elementType: 'string', containsNull: true }),
    field('attrs', { type: 'map', keyType: 'string', valueType: decimal(10, 2), valueContainsNull: false }),
  ]);

  it('round-trips decimal, struct, array and map types through the schema JSON Spark writes', () => {
    const json = serializeSchema(nested);
    expect(JSON.parse(json).fields[4].type).toEqual({ type: 'map', keyType: 'string', valueType: 'decimal(10,2)', valueContainsNull: false });
    expect(parseSchema(json)).toEqual(nested);
    expect(parseSchema(json.replace('decimal(38,18)', 'decimal(38, 18)')).fields[1].type).toBe('decimal(38,18)');
  });

  it('maps every type to DuckDB', () => {
    expect(nested.fields.map((f) => duckdbType(f.type))).toEqual([
      'BIGINT',
      'DECIMAL(38,18)',
      'STRUCT("x" INTEGER, "at" TIMESTAMP)',
      'VARCHAR[]',
      'MAP(VARCHAR, DECIMAL(10,2))',
    ]);
  });

  it('finds timestamp_ntz at any depth', () => {
    expect(usesTimestampNtz(nested)).toBe(true);
    expect(usesTimestampNtz(struct([field('t', 'timestamp')]))).toBe(false);
  });

  it('refuses unknown types and bad decimals, naming the column', () => {
    const schema = (type: unknown) => JSON.stringify({ type: 'struct', fields: [{ name: 'v', type: { type: 'struct', fields: [{ name: 'w', type }] } }] });
    expect(() => parseSchema(schema('variant'))).toThrow(new SchemaMismatchError('column "v.w" has unsupported type "variant"'));
    expect(() => parseSchema(schema('decimal(39,2)'))).toThrow(SchemaMismatchError);
    expect(() => decimal(10, 11)).toThrow(/scale must be an integer in \[0, precision 10\]/);
  });
});
