import type { CiContext, ProcessRunner, StepDeps } from '@slipway/core';

export interface RecordedDeps {
  deps: StepDeps;
  infos: string[];
  warnings: string[];
  /** Values handed to setSecret. */
  secrets: string[];
}

/** StepDeps around a real runner, recording what the step logs and masks. */
export function stepDepsForTests(runner: ProcessRunner, tempDir: string, ci: CiContext = {}): RecordedDeps {
  const infos: string[] = [];
  const warnings: string[] = [];
  const secrets: string[] = [];
  const state = new Map<string, string>();
  const deps: StepDeps = {
    runner,
    log: {
      info: (message) => void infos.push(message),
      warning: (message) => void warnings.push(message),
      debug: () => {},
      group: (_title, fn) => fn(),
    },
    signal: new AbortController().signal,
    tempDir,
    ciContext: async () => ci,
    state: { save: (name, value) => void state.set(name, value), get: (name) => state.get(name) },
    run: { id: 'cli-test-0001', host: 'cli', machine: 'test-machine' },
    now: () => new Date('2026-11-24T12:00:00Z'),
    sleep: async () => {},
    setSecret: (value) => void secrets.push(value),
  };
  return { deps, infos, warnings, secrets };
}
