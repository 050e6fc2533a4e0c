import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { steps } from '@slipway/core';
import { parseAgentCommands, parseRunnerCommands, type ProcessOutcome } from '../support/host-harness.ts';
import { bundlePrivateHosts, runAzureEntry, runCliEntry, runGitHubEntry, type PrivateHosts } from '../support/private-hosts.ts';
import { createStandInPath, type RecordingPath } from '../support/recording-path.ts';
import { hostSample, type HostSampleCase } from './corpus-cases.ts';
import { findStackFrame, howNamed } from './corpus-checks.ts';
import { createCorpusFixture, createCorpusRoot, type CorpusFixture } from './corpus-fixture.ts';

/**
 * A sample of the bad-input corpus through each real host — the GitHub action, the Azure Pipelines task
 * and the CLI, bundled privately from the current sources — to show they end as runStep does in-process
 * (bad-input-corpus.test.ts): exit 2 naming the input, nothing started, no stack trace, and no runner or
 * agent command made out of the value.
 */

const sample = Object.values(steps).flatMap((step) => hostSample(step.spec));
const corpusRoot = createCorpusRoot();
let fixture: CorpusFixture;
let hosts: PrivateHosts;
let standIns: RecordingPath;
let bundleDir: string;
let runs = 0;

beforeAll(async () => {
  bundleDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-corpus-hosts-'));
  [fixture, hosts] = await Promise.all([createCorpusFixture(corpusRoot), bundlePrivateHosts(bundleDir)]);
  standIns = createStandInPath();
}, 120_000);

afterAll(async () => {
  console.log(`bad-input corpus through the real hosts: ${runs} runs (${sample.length} cases × their hosts)`);
  standIns?.cleanup();
  await fixture?.close();
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

type HostKind = HostSampleCase['hosts'][number];

interface HostOutcome extends ProcessOutcome {
  /** What the runner, the agent or the terminal would show, outputs and summary included. */
  shown: string;
  commandEchoes: string[];
}

async function runInHost(host: HostKind, sampleCase: HostSampleCase): Promise<HostOutcome> {
  runs++;
  const dirs = fixture.dirsFor(runs);
  const inputs: Record<string, string> = { ...(fixture.bases[sampleCase.step] ?? {}) };
  if (sampleCase.value !== undefined) inputs[sampleCase.input] = sampleCase.value;
  else delete inputs[sampleCase.input];
  const options = {
    // Stand-ins first and only on PATH: git, builder probes, trivy, az... would all be recorded.
    env: { PATH: standIns.dir, HOME: dirs.home, TMPDIR: dirs.tempDir },
    cwd: dirs.workspace,
    runDir: dirs.tempDir,
    ...(sampleCase.rawFormat ? { rawInputs: { [sampleCase.input]: sampleCase.rawFormat } } : {}),
  };
  if (host === 'github') {
    const run = await runGitHubEntry(hosts.githubEntry(sampleCase.step), inputs, { ...options, env: { ...options.env, GITHUB_WORKSPACE: dirs.workspace } });
    const echoes = run.stdout.split('\n').filter((line) => line.startsWith('[command]'));
    return { ...run, shown: `${run.stdout}\n${run.stderr}\n${run.summary}\n${JSON.stringify(run.outputs)}`, commandEchoes: echoes };
  }
  if (host === 'azure-pipelines') {
    const run = await runAzureEntry(hosts.azureEntry(sampleCase.step), inputs, {
      ...options,
      env: { ...options.env, SYSTEM_DEFAULTWORKINGDIRECTORY: dirs.workspace },
    });
    const echoes = run.stdout.split('\n').filter((line) => line.startsWith('##[command]'));
    return { ...run, shown: `${run.stdout}\n${run.stderr}`, commandEchoes: echoes };
  }
  const run = await runCliEntry(hosts.cli, sampleCase.step, inputs, { ...options, json: true });
  const echoes = run.stderr.split('\n').filter((line) => line.startsWith('$ '));
  return { ...run, shown: `${run.stdout}\n${run.stderr}`, commandEchoes: echoes };
}

describe('the recorders see a start in each real host', () => {
  // The control for "nothing started": the build base with builder buildah runs `buildah version`,
  // which the stand-in fails (exit 3), and both the command echo and the stand-in's record show it.
  it.each(['github', 'azure-pipelines', 'cli'] as const)('%s: a valid build starts buildah', async (host) => {
    standIns.clear();
    const control: HostSampleCase = { id: 'build/builder/control', step: 'build', input: 'builder', label: 'buildah', value: 'buildah', hosts: [host] };
    const run = await runInHost(host, control);
    expect(run.exitCode, run.shown).toBe(3);
    expect(run.commandEchoes.join('\n'), run.shown).toContain('buildah');
    expect(standIns.records().map((record) => record.tool)).toContain('buildah');
    expect(findStackFrame(run.shown)).toBeUndefined();
  });
});

describe('Azure Pipelines: a service connection the agent describes is still read', () => {
  // The control for the azure-subscription cases: with endpoint data, the connection supplies the sign-in
  // (no tenant, client or secret inputs) and the push runs on to the registry, which fails (exit 3).
  it('azureSubscription with endpoint data signs in as its service principal', async () => {
    standIns.clear();
    runs++;
    const dirs = fixture.dirsFor(runs);
    const connection = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const { 'tenant-id': tenant, 'client-id': client, 'client-secret': secret, ...base } = fixture.bases.push ?? {};
    const run = await runAzureEntry(
      hosts.azureEntry('push'),
      { ...base, auth: 'auto', 'azure-subscription': connection },
      {
        cwd: dirs.workspace,
        runDir: dirs.tempDir,
        env: {
          PATH: standIns.dir,
          HOME: dirs.home,
          SYSTEM_DEFAULTWORKINGDIRECTORY: dirs.workspace,
          [`ENDPOINT_AUTH_SCHEME_${connection}`]: 'ServicePrincipal',
          [`ENDPOINT_AUTH_PARAMETER_${connection}_TENANTID`]: tenant ?? '',
          [`ENDPOINT_AUTH_PARAMETER_${connection}_SERVICEPRINCIPALID`]: client ?? '',
          [`ENDPOINT_AUTH_PARAMETER_${connection}_SERVICEPRINCIPALKEY`]: secret ?? '',
        },
      },
    );
    const shown = `${run.stdout}\n${run.stderr}`;
    expect(run.exitCode, shown).toBe(3);
    expect(shown).toContain(`service principal ${client} (client secret) in tenant ${tenant}`);
    expect(findStackFrame(shown)).toBeUndefined();
    // The key is in the mask command and nowhere else: not in task-lib's debug lines either.
    const outsideMasks = shown
      .split('\n')
      .filter((line) => !line.startsWith('##vso[task.setsecret]'))
      .join('\n');
    expect(secret && outsideMasks.includes(secret)).toBe(false);
  });
});

const table = sample.flatMap((sampleCase) => sampleCase.hosts.map((host) => [`${host}: ${sampleCase.id}`, host, sampleCase] as const));

describe('the corpus sample in each real host', () => {
  it.each(table)('%s → exit 2 naming the input, nothing started, no stack trace, no injected command', async (_name, host, sampleCase) => {
    standIns.clear();
    const run = await runInHost(host, sampleCase);
    const context = `${host} ${sampleCase.id}: exit ${run.exitCode}\n${run.shown.slice(0, 3000)}`;
    expect(run.exitCode, context).toBe(2);
    expect(howNamed(run.shown, sampleCase.input), context).toBeDefined();
    expect(findStackFrame(run.shown), context).toBeUndefined();
    expect(run.commandEchoes, context).toEqual([]);
    expect(
      standIns.records().map((record) => [record.tool, ...record.args].join(' ')),
      context,
    ).toEqual([]);

    if (host === 'github') {
      const commands = parseRunnerCommands(`${run.stdout}\n${run.stderr}`);
      expect(
        commands.filter((command) => ['set-output', 'set-env', 'add-path', 'save-state', 'notice'].includes(command.command)),
        context,
      ).toEqual([]);
      expect(
        commands.filter((command) => command.command === 'warning' && command.data.trim() === 'X'),
        context,
      ).toEqual([]);
      expect(
        commands.filter((command) => command.command === 'error'),
        context,
      ).toHaveLength(1);
    } else if (host === 'azure-pipelines') {
      const commands = parseAgentCommands(`${run.stdout}\n${run.stderr}`);
      expect(
        commands.filter((command) => command.command === 'task.setvariable'),
        context,
      ).toEqual([]);
      expect(
        commands.filter((command) => command.command === 'task.complete').map((command) => command.properties.result),
        context,
      ).toEqual(['Failed']);
    } else {
      expect(parseRunnerCommands(run.shown), context).toEqual([]);
      expect(parseAgentCommands(run.shown), context).toEqual([]);
      expect(JSON.parse(run.stdout).error.code, context).toBe('INPUT_INVALID');
    }
  });
});
