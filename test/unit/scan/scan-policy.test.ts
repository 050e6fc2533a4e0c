import { describe, expect, it } from 'vitest';
import { emptyCounts, evaluatePolicy, InputError, parseFailOn, type SeverityCounts } from '@slipway/core';

const counts = (partial: Partial<SeverityCounts>): SeverityCounts => ({ ...emptyCounts(), ...partial });

describe('fail-on policy', () => {
  it.each<[string, Partial<SeverityCounts>, boolean, string]>([
    ['CRITICAL>0', { HIGH: 9 }, true, 'within policy CRITICAL>0'],
    ['CRITICAL>0', { CRITICAL: 1 }, false, 'CRITICAL>0 broken: 1 CRITICAL finding(s)'],
    ['CRITICAL>0,HIGH>5', { HIGH: 5 }, true, 'within policy'],
    ['CRITICAL>0,HIGH>5', { HIGH: 6, CRITICAL: 2 }, false, 'CRITICAL>0 broken: 2 CRITICAL finding(s); HIGH>5 broken: 6 HIGH finding(s)'],
    ['HIGH>=3', { HIGH: 2 }, true, 'within policy'],
    ['HIGH>=3', { HIGH: 3 }, false, 'HIGH>=3 broken'],
    ['HIGH+>0', { CRITICAL: 1 }, false, 'HIGH+>0 broken: 1 HIGH/CRITICAL finding(s)'],
    ['medium+>4', { MEDIUM: 2, HIGH: 2, CRITICAL: 1 }, false, 'medium+>4 broken: 5 MEDIUM/HIGH/CRITICAL'],
    ['ANY>2', { LOW: 1, UNKNOWN: 1, MEDIUM: 1 }, false, 'ANY>2 broken: 3'],
    ['none', { CRITICAL: 100 }, true, 'no policy (fail-on: none)'],
  ])('%s with %j -> passed=%s', (policy, partial, passed, reason) => {
    const decision = evaluatePolicy(counts(partial), parseFailOn(policy));
    expect(decision.passed).toBe(passed);
    expect(decision.reason).toContain(reason);
  });

  it.each([
    ['CRITICAL', 'is not a clause'],
    ['CRITICAL>', 'is not a clause'],
    ['SEVERE>0', "unknown severity 'SEVERE'"],
    ['HIGH<5', 'is not a clause'],
    [' , ', 'is empty'],
  ])('rejects %j', (policy, message) => {
    expect(() => parseFailOn(policy)).toThrow(InputError);
    expect(() => parseFailOn(policy)).toThrow(message);
  });
});
