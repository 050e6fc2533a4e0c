import { describe, expect, it } from 'vitest';
import { canaryLabelSelector, canaryLabelValue, canaryName, isCanaryObjectOf, isHelmKey, withoutHelmKeys } from '@slipway/core';

describe('canary names and labels', () => {
  it('names a canary <name>-canary, and shortens with a hash of the name past the limit', () => {
    expect(canaryName('web')).toBe('web-canary');
    expect(canaryName('a'.repeat(56))).toBe(`${'a'.repeat(56)}-canary`);
    const long = canaryName('a'.repeat(57));
    expect(long).toMatch(/^a{47}-[0-9a-f]{8}-canary$/);
    expect(long).toHaveLength(63);
    // Two long names that share their first 47 characters stay apart.
    expect(canaryName(`${'b'.repeat(60)}-one`)).not.toBe(canaryName(`${'b'.repeat(60)}-two`));
    // A StatefulSet name leaves room for the controller-revision-hash label (<name>-<10 characters> <= 63).
    expect(canaryName('s'.repeat(50), 52)).toHaveLength(52);
    // No dash or dot before the hash: names stay valid.
    expect(canaryName(`${'c'.repeat(46)}-.xyzxyzxyzxyz`)).toMatch(/^c{46}-[0-9a-f]{8}-canary$/);
  });

  it('gives relabelled pods a valid label value', () => {
    expect(canaryLabelValue('demo')).toBe('demo-canary');
    expect(canaryLabelValue('')).toBe('canary');
    expect(canaryLabelValue('v'.repeat(63))).toMatch(/^v{47}-[0-9a-f]{8}-canary$/);
  });

  it('knows Slipway canary objects of a release by their labels, and selects them', () => {
    expect(canaryLabelSelector('shop')).toBe('app.kubernetes.io/managed-by=slipway,slipway.dev/canary-of=shop,slipway.dev/track=canary');
    expect(isCanaryObjectOf({ 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/canary-of': 'shop' }, 'shop')).toBe(true);
    expect(isCanaryObjectOf({ 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/canary-of': 'other' }, 'shop')).toBe(false);
    expect(isCanaryObjectOf({ 'app.kubernetes.io/managed-by': 'Helm', 'slipway.dev/canary-of': 'shop' }, 'shop')).toBe(false);
    expect(isCanaryObjectOf(undefined, 'shop')).toBe(false);
  });

  it('drops the keys Helm claims objects by', () => {
    expect(isHelmKey('meta.helm.sh/release-name')).toBe(true);
    expect(isHelmKey('helm.sh/resource-policy')).toBe(true);
    expect(isHelmKey('app.kubernetes.io/name')).toBe(false);
    expect(withoutHelmKeys({ 'helm.sh/chart': 'x-1', 'app.kubernetes.io/managed-by': 'Helm', 'meta.helm.sh/release-name': 'r', keep: 'me' })).toEqual({
      keep: 'me',
    });
  });
});
