import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aksContextStateKey, ProcessRunner, Redactor, removeAksContext } from '@slipway/core';
import { stepDepsForTests } from '../tools/step-deps-for-tests.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'slipway-aks-post-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function depsWithState(state: Record<string, string>) {
  const recorded = stepDepsForTests(new ProcessRunner({ redactor: new Redactor(), log: { command: () => {}, debug: () => {} } }), work);
  for (const [name, value] of Object.entries(state)) recorded.deps.state.save(name, value);
  return recorded;
}

describe('the post phase of aks-context', () => {
  it('removes the directory the main phase saved, with the kubeconfig, the plugin config and the token cache', async () => {
    const dir = mkdtempSync(path.join(work, 'slipway-aks-'));
    for (const name of ['kubeconfig', 'kube-token.json', 'token-cache.json']) writeFileSync(path.join(dir, name), 'x', { mode: 0o600 });
    const { deps, infos } = depsWithState({ [aksContextStateKey]: dir });
    await removeAksContext(deps);
    expect(existsSync(dir)).toBe(false);
    expect(infos).toEqual([`aks-context: removed ${dir}`]);
  });

  it('does nothing when the main phase saved nothing (it stopped before writing, or kept the files)', async () => {
    const { deps, infos, warnings } = depsWithState({});
    await removeAksContext(deps);
    expect([...infos, ...warnings]).toEqual([]);
  });

  it('never removes a directory that is not one aks-context makes, whatever the state says', async () => {
    const other = path.join(work, 'workspace');
    mkdirSync(other);
    for (const saved of [other, 'slipway-aks-relative']) {
      const { deps, warnings } = depsWithState({ [aksContextStateKey]: saved });
      await removeAksContext(deps);
      expect(warnings).toEqual([`aks-context: not removing '${saved}', which is not a directory aks-context made`]);
    }
    expect(existsSync(other)).toBe(true);
  });
});
