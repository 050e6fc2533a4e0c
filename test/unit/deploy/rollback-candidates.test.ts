import { describe, expect, it } from 'vitest';
import { currentRevision, rollbackCandidates, type HelmHistoryEntry, type HelmReleaseStatusValue } from '@slipway/core';

function history(...statuses: HelmReleaseStatusValue[]): HelmHistoryEntry[] {
  return statuses.map((status, index) => ({ revision: index + 1, status, updated: '', chart: 'demo-0.1.0', appVersion: '1', description: '' }));
}

describe('rollbackCandidates', () => {
  it.each([
    ['the previous good revision', history('superseded', 'deployed', 'failed'), [], [2, 1]],
    ['skips a failed revision in between (never blindly current-1)', history('superseded', 'failed', 'deployed'), [], [1]],
    ['skips revisions Slipway saw fail, whatever Helm calls them', history('superseded', 'superseded', 'deployed'), [2], [1]],
    ['skips the current revision whatever its status', history('superseded', 'deployed'), [], [1]],
    ['pending revisions are never targets', history('superseded', 'pending-upgrade', 'pending-upgrade'), [], [1]],
    ['none when the first install failed', history('failed'), [], []],
    ['none for no history', [], [], []],
  ] as const)('%s', (_name, entries, exclude, expected) => {
    expect(rollbackCandidates(entries, exclude)).toEqual(expected);
  });

  it('currentRevision is the newest whatever the order', () => {
    const entries = history('superseded', 'deployed');
    expect(currentRevision([...entries].reverse())?.revision).toBe(2);
    expect(currentRevision([])).toBeUndefined();
  });
});
