import { describe, expect, it } from 'vitest';
import { planRetention, type ListedManifest, type RetentionPlan, type RetentionRules } from '@slipway/core';

// The retention decision, apart from the registry calls: given the repository's manifests, which
// tags are kept and which manifests go.
const day = 24 * 3600_000;
const m = (digest: string, tags: string[], daysAgo: number): ListedManifest => ({
  digest: `sha256:${digest}`,
  tags,
  updatedAt: Date.UTC(2026, 10, 24) - daysAgo * day,
});
const semver = /^v\d+\.\d+\.\d+$/;
const gone = (plan: RetentionPlan) => plan.deleted.map((entry) => entry.digest.slice('sha256:'.length));

describe('planRetention', () => {
  it.each<[string, ListedManifest[], RetentionRules, { kept: string[]; deleted: string[] }]>([
    [
      'keeps the newest N matching tags and deletes the rest',
      [m('d', ['v1.0.3'], 1), m('c', ['v1.0.2'], 2), m('b', ['v1.0.1'], 3), m('a', ['v1.0.0'], 4)],
      { keep: 2, pattern: semver, protect: [] },
      { kept: ['v1.0.3', 'v1.0.2'], deleted: ['b', 'a'] },
    ],
    [
      'orders by update time, not by the order the registry listed them',
      [m('a', ['v1.0.0'], 4), m('c', ['v1.0.2'], 2), m('d', ['v1.0.3'], 1), m('b', ['v1.0.1'], 3)],
      { keep: 1, pattern: semver, protect: [] },
      { kept: ['v1.0.3'], deleted: ['c', 'b', 'a'] },
    ],
    [
      'never deletes a manifest that also carries a tag outside the pattern (someone still uses `stable`)',
      [m('c', ['v1.0.2'], 1), m('b', ['v1.0.1', 'stable'], 2), m('a', ['v1.0.0'], 3)],
      { keep: 1, pattern: semver, protect: [] },
      { kept: ['v1.0.2'], deleted: ['a'] },
    ],
    [
      'never deletes a protected digest (the image just pushed), however old',
      [m('c', ['v1.0.2'], 1), m('b', ['v1.0.1'], 2), m('a', ['v1.0.0'], 30)],
      { keep: 1, pattern: semver, protect: ['sha256:a'] },
      { kept: ['v1.0.2'], deleted: ['b'] },
    ],
    [
      'never deletes an untagged manifest (it may be a platform image of an index)',
      [m('c', ['v1.0.2'], 1), m('child', [], 2), m('a', ['v1.0.0'], 3)],
      { keep: 1, pattern: semver, protect: [] },
      { kept: ['v1.0.2'], deleted: ['a'] },
    ],
    [
      'a kept tag keeps its whole manifest, even when the manifest carries an older matching tag too',
      [m('b', ['v1.0.2', 'v1.0.1'], 1), m('a', ['v1.0.0'], 2)],
      { keep: 1, pattern: semver, protect: [] },
      { kept: ['v1.0.2'], deleted: ['a'] },
    ],
    [
      'keep 0 deletes every manifest that carries only matching tags',
      [m('b', ['v1.0.1'], 1), m('a', ['v1.0.0'], 2), m('l', ['latest'], 3)],
      { keep: 0, pattern: semver, protect: [] },
      { kept: [], deleted: ['b', 'a'] },
    ],
    [
      "timestamps that tie keep the registry's order",
      [m('y', ['v2'], 1), m('x', ['v1'], 1)],
      { keep: 1, pattern: /^v\d+$/, protect: [] },
      { kept: ['v2'], deleted: ['x'] },
    ],
    [
      'a global pattern matches every tag, not every other one',
      [m('c', ['v3'], 1), m('b', ['v2'], 2), m('a', ['v1'], 3)],
      { keep: 1, pattern: /^v\d+$/g, protect: [] },
      { kept: ['v3'], deleted: ['b', 'a'] },
    ],
    ['an empty repository plans nothing', [], { keep: 3, pattern: semver, protect: [] }, { kept: [], deleted: [] }],
  ])('%s', (_, manifests, rules, expected) => {
    const plan = planRetention(manifests, rules);
    expect({ kept: plan.kept, deleted: gone(plan) }).toEqual(expected);
  });

  it('reports the tags each deleted manifest carried', () => {
    const plan = planRetention([m('b', ['v1.0.1'], 1), m('a', ['v1.0.0', 'v0.9.9'], 2)], { keep: 1, pattern: semver, protect: [] });
    expect(plan.deleted).toEqual([{ digest: 'sha256:a', tags: ['v1.0.0', 'v0.9.9'] }]);
  });
});
