import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo } from 'node:net';
import { isKnownErrorCode, runStep, steps, type StepRunOutcome } from '@slipway/core';
import { createStandInPath, type RecordingPath, type SpawnRecord } from '../support/recording-path.ts';
import { SpawnRecordingHost } from '../support/spawn-recording-host.ts';
import { caseInputs, generateCorpus, type CorpusCase } from './corpus-cases.ts';
import { findStackFrame, howNamed } from './corpus-checks.ts';
import { createCorpusFixture, createCorpusRoot, type CorpusFixture } from './corpus-fixture.ts';

/**
 * Issue #9's bad-input corpus, run in-process: every case through runStep with a host whose PATH holds
 * only recording stand-ins (see corpus-cases.ts for what is generated, bad-input-hosts.test.ts for the
 * same cases through the real hosts).
 */

const stepIds = Object.keys(steps);
const corpusRoot = createCorpusRoot();
const cases = generateCorpus(
  stepIds.map((id) => (steps[id] as (typeof steps)[string]).spec),
  corpusRoot.markers,
);
/** A case that takes longer than this is a failure: every valid run is built to fail fast. */
const caseTimeoutMs = 15_000;
const parallelCases = 6;

interface CaseResult {
  outcome: StepRunOutcome | { timedOut: true };
  /** Everything the host printed, outputs and summaries included. */
  printed: string;
  commandsEchoed: string[];
  environmentsBuilt: number;
  ciContextCalls: number;
  ms: number;
}

let fixture: CorpusFixture;
let standIns: RecordingPath;
let originalPath: string | undefined;
const results = new Map<string, CaseResult>();
const baseResults = new Map<string, CaseResult>();
let spawnsByCase = new Map<string, SpawnRecord[]>();
let corpusMs = 0;

let casesStarted = 0;

async function runCase(id: string, stepId: string, inputs: Record<string, string>): Promise<CaseResult> {
  const dirs = fixture.dirsFor(casesStarted++);
  const host = new SpawnRecordingHost({
    inputs,
    workspace: dirs.workspace,
    tempDir: dirs.tempDir,
    // The stand-ins first and only: git, the builder probes and any tool count as a start. CORPUS_CASE
    // tells the stand-ins which case started them (it is not a Slipway variable, so children get it).
    env: { PATH: standIns.dir, HOME: dirs.home, CORPUS_CASE: id },
  });
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    runStep(host, stepId),
    new Promise<{ timedOut: true }>((resolve) => {
      timer = setTimeout(() => resolve({ timedOut: true }), caseTimeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  const printed = [
    ...host.lines.map((line) => `${line.level}: ${line.message}`),
    ...Object.entries(host.outputs).map(([name, value]) => `output ${name}=${value}`),
    ...host.summaries,
    'exitCode' in outcome && outcome.error ? `${outcome.error.message}\n${outcome.error.hint ?? ''}` : '',
  ].join('\n');
  return {
    outcome,
    printed,
    commandsEchoed: host.logged('command'),
    environmentsBuilt: host.environmentsBuilt,
    ciContextCalls: host.ciContextCalls,
    ms: Date.now() - started,
  };
}

beforeAll(async () => {
  fixture = await createCorpusFixture(corpusRoot);
  standIns = createStandInPath();
  // Anything started outside the engine's runner (an Azure SDK credential running `az`, say) inherits
  // this process's PATH: the stand-ins record it too, under no case.
  originalPath = process.env.PATH;
  process.env.PATH = standIns.dir;
  // A case that is valid by accident may fall back to a public endpoint (a blank authority-host means the
  // public cloud's). The Azure SDKs then go through a proxy on a closed local port, so such a case fails
  // at once on this machine and no request is ever aimed at an outside address; loopback stays direct.
  for (const name of ['HTTPS_PROXY', 'HTTP_PROXY']) process.env[name] = `http://127.0.0.1:${await closedLocalPort()}`;
  process.env.NO_PROXY = '127.0.0.1,localhost';
  const started = Date.now();
  for (const id of stepIds) baseResults.set(id, await runCase(`${id}/base`, id, { ...(fixture.bases[id] ?? {}) }));
  let next = 0;
  await Promise.all(
    Array.from({ length: parallelCases }, async () => {
      while (next < cases.length) {
        const corpusCase = cases[next++] as CorpusCase;
        results.set(corpusCase.id, await runCase(corpusCase.id, corpusCase.step, caseInputs(corpusCase, fixture.bases[corpusCase.step])));
      }
    }),
  );
  corpusMs = Date.now() - started;
  spawnsByCase = new Map();
  for (const record of standIns.records()) {
    const id = record.env.CORPUS_CASE ?? '(outside the runner)';
    spawnsByCase.set(id, [...(spawnsByCase.get(id) ?? []), record]);
  }
}, 600_000);

afterAll(async () => {
  if (originalPath !== undefined) process.env.PATH = originalPath;
  const outcomes = [...results.values()].map((result) => result.outcome);
  const slowest = [...results].sort(([, a], [, b]) => b.ms - a.ms)[0];
  const invalid = outcomes.filter((outcome) => 'exitCode' in outcome && outcome.exitCode === 2).length;
  console.log(
    `bad-input corpus: ${cases.length} cases across ${stepIds.length} steps (${stepIds.join(', ')}); ` +
      `${invalid} ended with exit 2, ${outcomes.length - invalid} ran on; ${corpusMs} ms (slowest: ${slowest?.[0]}, ${slowest?.[1].ms} ms)`,
  );
  const baseless = stepIds.filter((id) => fixture && fixture.bases[id] === undefined);
  if (baseless.length > 0) console.log(`bad-input corpus: no base inputs for ${baseless.join(', ')}: add them to corpus-fixture.ts for the full checks`);
  standIns?.cleanup();
  await fixture?.close();
});

describe('the corpus itself', () => {
  it('covers every input of every step with every category', () => {
    for (const id of stepIds) {
      const spec = (steps[id] as (typeof steps)[string]).spec;
      for (const input of spec.inputs.filter((candidate) => !candidate.hosts || candidate.hosts.includes('cli'))) {
        const categories = new Set(cases.filter((c) => c.step === id && c.input === input.name).map((c) => c.category));
        expect([...categories].sort(), `${id}/${input.name}`).toEqual(
          expect.arrayContaining(['empty', 'whitespace', 'overlong', 'shell', 'path-traversal', 'newline-injection', 'yaml-json-injection', 'non-utf8', 'nul']),
        );
      }
    }
    expect(cases.length).toBeGreaterThan(1000);
  });

  // A step with no base in corpus-fixture.ts (a new one) is still run through the whole corpus, with
  // one check fewer: an exit 2 for a value its spec allows may blame another (missing) input.
  it.each(stepIds)('the %s base validates, and a valid run is seen by both recorders when it starts a tool', (id) => {
    if (fixture.bases[id] === undefined) return; // reported after the run
    const result = baseResults.get(id) as CaseResult;
    expect('exitCode' in result.outcome && result.outcome.exitCode, result.printed).not.toBe(2);
    expect(findStackFrame(result.printed)).toBeUndefined();
    // The build starts its builder probes (the docker and buildah stand-ins fail, so no builder: exit 3):
    // proof that the stand-ins and the environment seam both see a start.
    if (id === 'build') {
      expect(result.environmentsBuilt).toBeGreaterThan(0);
      expect((spawnsByCase.get('build/base') ?? []).map((record) => record.tool)).toContain('docker');
    }
  });
});

describe.each(stepIds)('bad input to %s', (stepId) => {
  const stepCases = cases.filter((c) => c.step === stepId);
  it.each(stepCases.map((c) => [`${c.input} ← ${c.category}: ${c.label}`, c] as const))('%s', (_name, corpusCase) => {
    const result = results.get(corpusCase.id) as CaseResult;
    expect(result, 'the case ran').toBeDefined();
    expect('timedOut' in result.outcome, `timed out after ${caseTimeoutMs} ms`).toBe(false);
    const outcome = result.outcome as StepRunOutcome;
    const spawns = spawnsByCase.get(corpusCase.id) ?? [];
    const context = `${corpusCase.id} → exit ${outcome.exitCode} ${outcome.error?.code ?? ''}\n${result.printed.slice(0, 2000)}`;

    expect(findStackFrame(result.printed), context).toBeUndefined();
    if (outcome.error) {
      expect(isKnownErrorCode(outcome.error.code), context).toBe(true);
      expect(['UNEXPECTED', 'INTERNAL'], context).not.toContain(outcome.error.code);
    }
    if (outcome.exitCode === 2) {
      // run's `config` names a file that was read: a file that is not a slipway.yaml is CONFIG_INVALID, naming the file.
      const configRead = stepId === 'run' && corpusCase.input === 'config' && outcome.error?.code === 'CONFIG_INVALID';
      expect(configRead ? 'INPUT_INVALID' : outcome.error?.code, context).toBe('INPUT_INVALID');
      if (corpusCase.mustBeInvalid || fixture.bases[stepId] !== undefined)
        expect(howNamed(outcome.error?.message ?? '', corpusCase.input), context).toBeDefined();
      // Nothing started: no command echoed, no child environment built, no stand-in ran, git not asked.
      expect(result.commandsEchoed, context).toEqual([]);
      expect(result.environmentsBuilt, context).toBe(0);
      expect(
        spawns.map((record) => [record.tool, ...record.args].join(' ')),
        context,
      ).toEqual([]);
      expect(result.ciContextCalls, context).toBe(0);
    } else {
      expect(corpusCase.mustBeInvalid, `${context}\nthe spec makes this value invalid, yet the step ran on`).toBe(false);
      expect([0, 1, 3], context).toContain(outcome.exitCode);
    }
  });
});

describe('what the corpus found, pinned', () => {
  // A push to a 100 KiB "registry" passed validation and failed resolving it (getaddrinfo EINVAL, exit 3,
  // the whole name in the log): a registry host past DNS limits is invalid input.
  it.each([
    ['registry', { registry: `${'a'.repeat(64)}.example.io` }],
    ['registry', { registry: `${'a.'.repeat(127)}io` }],
    ['image', { image: `${'a'.repeat(64)}.example.io/team/api` }],
  ])('a %s host past DNS length limits is exit 2 naming it, before anything is started', async (input, replaced) => {
    const result = await runCase(`pinned/${input}/${Object.values(replaced)[0]?.length}`, 'push', { ...(fixture.bases.push ?? {}), ...replaced });
    const outcome = result.outcome as StepRunOutcome;
    expect(outcome.exitCode, result.printed).toBe(2);
    expect(howNamed(outcome.error?.message ?? '', input)).toBe('problem');
    expect(result.environmentsBuilt).toBe(0);
  });
});

describe('no case was interpreted by a shell, and nothing ran outside the runner', () => {
  it('no touch marker exists and the rm -rf canary survived', () => {
    expect(readdirSync(corpusRoot.markers.touchDir)).toEqual([]);
    expect(existsSync(corpusRoot.markers.canary)).toBe(true);
  });

  it('every stand-in start came from the engine’s runner for a case', () => {
    expect(spawnsByCase.get('(outside the runner)') ?? []).toEqual([]);
  });
});

/** A loopback port nothing listens on: bound, then released. */
async function closedLocalPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
