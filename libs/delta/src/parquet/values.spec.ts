import { plainDecimal, toDecimalText, toRawValue } from './values';

describe('decimal values', () => {
  it('are kept exact with the scale’s digits, from strings, bigints and numbers', () => {
    expect(toDecimalText(10, 2, '12.5')).toBe('12.50');
    expect(toDecimalText(10, 2, '-0012.500')).toBe('-12.50');
    expect(toDecimalText(10, 2, '-0.00')).toBe('0.00');
    expect(toDecimalText(10, 2, 0.1)).toBe('0.10');
    expect(toDecimalText(38, 18, '12345678901234567890.123456789012345678')).toBe('12345678901234567890.123456789012345678');
    expect(toDecimalText(38, 18, 1e-18)).toBe('0.000000000000000001');
    expect(toDecimalText(38, 0, 99999999999999999999999999999999999999n)).toBe('99999999999999999999999999999999999999');
  });

  it('are refused when they would need rounding or do not fit the precision', () => {
    expect(toDecimalText(10, 2, '1.005')).toBeUndefined();
    expect(toDecimalText(10, 2, '123456789')).toBeUndefined();
    expect(toDecimalText(10, 2, 'abc')).toBeUndefined();
    expect(toDecimalText(10, 2, NaN)).toBeUndefined();
    expect(toRawValue('decimal(4,1)', 1000)).toBeUndefined();
    expect(toRawValue('decimal(4,1)', 999.9)).toBe('999.9');
  });

  it('parse exponent forms into plain digits', () => {
    expect(plainDecimal('1E-7')).toEqual({ negative: false, whole: '0', fraction: '0000001' });
    expect(plainDecimal(-1.5e21)).toEqual({ negative: true, whole: '1500000000000000000000', fraction: '' });
  });
});

describe('timestamp_ntz values', () => {
  it('take ISO-8601 without an offset, and refuse one with an offset', () => {
    expect(toRawValue('timestamp_ntz', '2024-12-12T10:00:00.123456')).toBe(1733997600123456n);
    expect(toRawValue('timestamp_ntz', '2024-12-12 10:00:00')).toBe(1733997600000000n);
    expect(toRawValue('timestamp_ntz', '2024-12-12T10:00:00Z')).toBeUndefined();
    expect(toRawValue('timestamp_ntz', '2024-12-12T10:00:00+01:00')).toBeUndefined();
  });
});
