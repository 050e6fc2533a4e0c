import { describe, expect, it } from 'vitest';
import { describeThreshold, formatMeasuredValue, InputError, meetsThreshold, parseThreshold } from '@slipway/core';

describe('parseThreshold', () => {
  it.each<[string, string, number, string]>([
    ['<= 1%', '<=', 0.01, '<= 1%'],
    ['<=1%', '<=', 0.01, '<= 1%'],
    ['< 0.5', '<', 0.5, '< 0.5'],
    ['>= 99.5%', '>=', 0.995, '>= 99.5%'],
    ['> 0', '>', 0, '> 0'],
    ['== 0', '==', 0, '== 0'],
    ['< 300ms', '<', 0.3, '< 300ms'],
    ['<= 2s', '<=', 2, '<= 2s'],
    ['<= 1.5m', '<=', 90, '<= 1.5m'],
    ['  >   -3  ', '>', -3, '> -3'],
    ['< 1e3', '<', 1000, '< 1000'],
    ['< .5', '<', 0.5, '< 0.5'],
    ['<= 250MS', '<=', 0.25, '<= 250ms'],
  ])('%j -> %s %d (%s)', (text, operator, limit, normalised) => {
    const threshold = parseThreshold(text);
    expect(threshold.operator).toBe(operator);
    expect(threshold.limit).toBeCloseTo(limit, 12);
    expect(threshold.text).toBe(normalised);
  });

  it.each([
    ['', 'is empty'],
    ['   ', 'is empty'],
    ['1%', 'has no comparison'],
    ['= 0', "unknown comparison '=' in \"= 0\" (use '==' to compare for equality)"],
    ['=< 1%', "did you mean '<='?"],
    ['=> 1%', "did you mean '>='?"],
    ['!= 0', "unknown comparison '!='"],
    ['<<= 1', "unknown comparison '<<='"],
    ['<=', "has no value after '<='"],
    ['<= one', '"one" in "<= one" is not a number'],
    ['<= 1 %%', "unknown unit '%%'"],
    ['< 300 millis', "unknown unit 'millis'"],
    ['<= 1e999', 'is too large'],
  ])('refuses %j naming what is wrong', (text, message) => {
    expect(() => parseThreshold(text, 'metrics[0].threshold')).toThrow(InputError);
    expect(() => parseThreshold(text, 'metrics[0].threshold')).toThrow(message);
    expect(() => parseThreshold(text, 'metrics[0].threshold')).toThrow("input 'metrics[0].threshold'");
  });
});

describe('meetsThreshold', () => {
  it.each<[string, number, boolean]>([
    ['<= 1%', 0.004, true],
    ['<= 1%', 0.01, true],
    ['<= 1%', 0.0100001, false],
    ['<= 1%', 0.2, false],
    ['< 1%', 0.01, false],
    ['< 1%', 0.0099, true],
    ['>= 99.5%', 0.995, true],
    ['>= 99.5%', 0.9949, false],
    ['> 0', 0, false],
    ['> 0', 1e-9, true],
    ['== 0', 0, true],
    ['== 0', -0, true],
    ['== 0', 0.001, false],
    ['== 30%', 0.3, true],
    // Prometheus computes ratios in binary floating point: 0.1 + 0.2 is 0.30000000000000004.
    ['<= 0.3', 0.1 + 0.2, true],
    ['< 0.3', 0.1 + 0.2, false],
    ['< 300ms', 0.25, true],
    ['< 300ms', 0.3, false],
    ['<= 2s', 2, true],
    ['<= 2s', Number.POSITIVE_INFINITY, false],
    ['> 0', Number.POSITIVE_INFINITY, true],
    ['<= 1%', Number.NaN, false],
    ['> 0', Number.NaN, false],
  ])('%s with %d -> %s', (text, value, expected) => {
    expect(meetsThreshold(parseThreshold(text), value)).toBe(expected);
  });
});

describe('describeThreshold and formatMeasuredValue', () => {
  it.each<[string, number, string]>([
    ['<= 1%', 0.004, '0.4% <= 1%'],
    ['<= 1%', 0.2, '20% is not <= 1%'],
    ['<= 1%', 0.012345678, '1.235% is not <= 1%'],
    ['>= 99.5%', 0.99876, '99.88% >= 99.5%'],
    ['< 300ms', 0.02485, '24.85ms < 300ms'],
    ['< 300ms', 0.45, '450ms is not < 300ms'],
    ['<= 2s', 2.5, '2.5s is not <= 2s'],
    ['< 0.5', 0.123456, '0.1235 < 0.5'],
    ['> 0', 20, '20 > 0'],
    ['< 100', 12345.678, '12345.7 is not < 100'],
    ['> 0', 1e-9, '1e-9 > 0'],
    ['<= 2s', Number.POSITIVE_INFINITY, '+Inf is not <= 2s'],
  ])('%s with %d -> %j', (text, value, line) => {
    expect(describeThreshold(parseThreshold(text), value)).toBe(line);
  });

  it('shows NaN as NaN', () => {
    expect(formatMeasuredValue(parseThreshold('<= 1%'), Number.NaN)).toBe('NaN');
  });
});
