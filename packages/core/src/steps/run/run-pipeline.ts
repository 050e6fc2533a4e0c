import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigProblems } from '../../config/config-problems.ts';
import { mapWithLimit } from '../../concurrency/map-with-limit.ts';
import { CancelledError, describeError, exitCodeOf } from '../../errors/index.ts';
import { InputProblems } from '../../inputs/index.ts';
import { renderRunReportHtml } from '../../report/render-report-html.ts';
import type { DeployRecord, RunReport, RunResult, ScanRecord, StageKind } from '../../report/run-report.ts';
import type { StepReport } from '../framework/step-definition.ts';
import type { StepDeps } from '../framework/step-deps.ts';
import { type StageCheck, stageHome, stageStep } from './check-stage-inputs.ts';
import { deployRecordOf, scanRecordOf } from './report-records.ts';
import type { RunStage } from './run-spec.ts';
import { renderRunSummary } from './run-summary.ts';
import type { StageInputs } from './stage-inputs.ts';
import {
  aksContextStageInputs,
  buildStageInputs,
  type ClusterAccess,
  deployImageRef,
  deployStageInputs,
  pushStageInputs,
  scanStageInputs,
  usesAksContext,
} from './stage-inputs-of.ts';
import { seconds, StageLedger } from './stage-runner.ts';
import { reportMarker, type RunInputs } from './validate-run-inputs.ts';

declare const SLIPWAY_VERSION: string | undefined;

/** Why the path stopped early: the stage and its outcome, or the error it threw. */
interface Stop {
  stage: string;
  result: Exclude<RunResult, 'succeeded'>;
  reason: string;
  error?: unknown;
}

/**
 * The whole path: each image built, scanned and pushed (images in parallel, up to max-parallel), then
 * aks-context and deploy. A stage that fails stops its image's later stages; deploy runs only when
 * every image got through. The report is written whatever happened (a cancelled or failed run
 * included), then an error a stage threw is thrown again, so that the run exits as that step would.
 */
export async function runPipeline(inputs: RunInputs, deps: StepDeps): Promise<StepReport> {
  for (const secret of inputs.config.secrets) deps.setSecret(secret);
  const startedAt = deps.now();
  const ledger = new StageLedger(deps.now);
  const scans: ScanRecord[] = [];
  const pushed = new Map<string, string>();
  const stops: Stop[] = [];
  const stageSummaries: string[] = [];
  let deployRecord: DeployRecord | undefined;
  const runs = (stage: RunStage) => inputs.stages.includes(stage);
  mkdirSync(inputs.settings.reportDir, { recursive: true });
  writeFileSync(path.join(inputs.settings.reportDir, reportMarker), 'This directory holds reports Slipway wrote; Slipway writes into it again.\n');
  if (inputs.dryRun) return planOnly(inputs, deps, startedAt);

  /** Runs one stage; its report, or undefined when it did not succeed (the stop is recorded). */
  const runStage = async (
    stage: RunStage,
    image: string | undefined,
    stageInputs: StageInputs,
    section: string,
    describe: (report: StepReport) => string,
  ): Promise<StepReport | undefined> => {
    const id = image === undefined ? stage : `${stage}:${image}`;
    const spec = { id, stage, image, step: stageStep(stage), inputs: stageInputs, home: stageHome(inputs.config, section), check: freshCheck(inputs) };
    // Several images at once: each stage's log is kept and written as one group when it ends.
    const buffered = image !== undefined && inputs.config.images.size > 1 && inputs.maxParallel > 1;
    try {
      const report = await ledger.run(spec, deps, { buffered, describe });
      if (stage === 'scan' && image !== undefined) scans.push(scanRecordOf(image, report));
      if (stage === 'deploy') deployRecord = deployRecordOf(report);
      if (stage === 'scan' || stage === 'deploy') stageSummaries.push(report.summary);
      if (report.outcome === 'succeeded') return report;
      stops.push({ stage: id, result: report.outcome, reason: report.reason ?? report.outcome });
    } catch (error) {
      const cancelled = error instanceof CancelledError || deps.signal.aborted;
      stops.push({ stage: id, result: cancelled ? 'cancelled' : 'failed', reason: describeError(error).split('\n')[0] ?? 'failed', error });
    }
    return undefined;
  };

  const imagePath = async (image: string) => {
    if (!runs('build')) return;
    const build = await runStage(
      'build',
      image,
      buildStageInputs(inputs.config, image, inputs.settings),
      `images.${image}`,
      (r) => `${r.outputs.digest} (${r.outputs.tags?.split('\n').length ?? 0} tags, ${r.outputs.builder})`,
    );
    if (!build) return;
    const built = { layout: build.outputs.layout ?? '', tags: build.outputs.tags ?? '', digest: build.outputs.digest ?? '' };
    if (runs('scan')) {
      const scan = await runStage(
        'scan',
        image,
        scanStageInputs(inputs.config, image, built.layout, inputs.settings),
        'scan',
        (r) => `${r.outputs.passed === 'true' ? 'passed' : 'failed'}: ${r.outputs.reason}`,
      );
      if (!scan) return;
    }
    if (runs('push')) {
      const push = await runStage(
        'push',
        image,
        pushStageInputs(inputs.config, image, built, inputs.settings),
        'registry',
        (r) => `${r.outputs.image} (${r.outputs['bytes-uploaded']} bytes uploaded, ${r.outputs['blobs-skipped']} blobs skipped)`,
      );
      if (push?.outputs.image) pushed.set(image, push.outputs.image);
    }
  };

  await mapWithLimit([...inputs.config.images.keys()], inputs.maxParallel, imagePath);
  let cluster: ClusterAccess | undefined;
  if (stops.length === 0 && runs('aks-context')) {
    const aks = await runStage(
      'aks-context',
      undefined,
      aksContextStageInputs(inputs.config, inputs.settings),
      'cluster',
      (r) => `${r.outputs.server} (Kubernetes ${r.outputs['kubernetes-version']})`,
    );
    if (aks) cluster = { kubeconfig: aks.outputs.kubeconfig ?? '', from: 'aks-context' };
  }
  if (stops.length === 0 && runs('deploy')) {
    const imageRef = deployImageRef(inputs.config, inputs.deployImage, inputs.givenImages, pushed);
    await runStage(
      'deploy',
      undefined,
      deployStageInputs(inputs.config, cluster, imageRef, inputs.settings),
      'deploy',
      (r) => `${r.outputs.result}${r.outputs.revision ? ` (revision ${r.outputs.revision})` : ''}`,
    );
  }

  for (const skipped of notRun(inputs, ledger)) ledger.note(skipped.id, skipped.stage, 'skipped', skipped.why, skipped.image);
  const stop = worstStop(stops);
  const endedAt = deps.now();
  const report = runReport(inputs, 'run', startedAt, endedAt, {
    result: stop?.result ?? 'succeeded',
    reason: stop ? `${stop.stage}: ${stop.reason}` : undefined,
    stages: ledger.records,
    scans,
    deploy: deployRecord,
  });
  const files = writeReport(report, inputs.settings.reportDir);
  deps.log.info(`run ${report.result} in ${seconds(endedAt.getTime() - startedAt.getTime())}; report: ${files.html}`);
  if (stop?.error !== undefined) throw stop.error;

  const outputs: Record<string, string> = {
    result: report.result,
    reason: report.reason ?? '',
    'failed-stage': stop?.stage ?? '',
    images: [...pushed].map(([name, ref]) => `${name}=${ref}`).join('\n'),
    'deploy-result': deployRecord?.result ?? '',
    revision: deployRecord?.revision ?? '',
    report: files.json,
    'report-html': files.html,
  };
  return {
    outcome: stop ? (stop.result === 'needs-human' ? 'needs-human' : 'gate-failed') : 'succeeded',
    reason: report.reason,
    outputs,
    summary: renderRunSummary(report, files, stageSummaries),
    result: report,
  };
}

/**
 * A dry run: every stage the run would run, with what it would do, and nothing run at all (no build,
 * no push, no sign-in, no cluster request).
 */
function planOnly(inputs: RunInputs, deps: StepDeps, startedAt: Date): StepReport {
  const ledger = new StageLedger(deps.now);
  const raw = (section: ReadonlyMap<string, { raw: string }> | undefined, key: string) => section?.get(key)?.raw;
  const login = raw(inputs.config.registry, 'registry');
  for (const [image, entry] of inputs.config.images) {
    const name = raw(entry.inputs, 'image') ?? image;
    const build = [raw(entry.inputs, 'context') ?? '.', raw(entry.inputs, 'target') ? `target ${raw(entry.inputs, 'target')}` : undefined]
      .filter(Boolean)
      .join(', ');
    const plans: Record<'build' | 'scan' | 'push', string> = {
      build: `${name} from ${build}`,
      scan: `Trivy, gate ${raw(inputs.config.scan, 'fail-on') ?? 'CRITICAL>0'}`,
      push: `${login ?? '(registry)'}/${name}`,
    };
    for (const kind of ['build', 'scan', 'push'] as const) {
      if (inputs.stages.includes(kind)) ledger.note(`${kind}:${image}`, kind, 'planned', plans[kind], image);
    }
  }
  if (inputs.stages.includes('aks-context')) {
    const cluster = inputs.config.cluster;
    ledger.note('aks-context', 'aks-context', 'planned', `${raw(cluster, 'cluster-name')} in ${raw(cluster, 'resource-group')}`);
  }
  if (inputs.stages.includes('deploy')) {
    const deploy = inputs.config.deploy;
    const strategy = raw(deploy, 'strategy') ?? 'direct';
    const gates = ['health', raw(deploy, 'smoke') ? 'smoke' : undefined, raw(deploy, 'metrics') ? 'metric analysis' : undefined].filter(Boolean);
    const steps = strategy === 'canary' ? ` steps ${(raw(deploy, 'steps') ?? '10,25,50').replace(/\n/g, ',')}` : '';
    ledger.note(
      'deploy',
      'deploy',
      'planned',
      `release ${raw(deploy, 'release')} (chart ${raw(deploy, 'chart')}), ${strategy}${steps}, gates: ${gates.join(', ')}`,
    );
  }
  for (const record of ledger.records) deps.log.info(`would run ${record.id}: ${record.detail}`);
  const report = runReport(inputs, 'dry-run', startedAt, deps.now(), { result: 'succeeded', stages: ledger.records, scans: [] });
  const files = writeReport(report, inputs.settings.reportDir);
  return {
    outcome: 'succeeded',
    outputs: {
      result: 'planned',
      reason: '',
      'failed-stage': '',
      images: '',
      'deploy-result': '',
      revision: '',
      report: files.json,
      'report-html': files.html,
    },
    summary: renderRunSummary(report, files, []),
    result: report,
  };
}

/** The report's fixed parts: which Slipway, which file and environment, when. */
function runReport(
  inputs: RunInputs,
  mode: RunReport['mode'],
  startedAt: Date,
  endedAt: Date,
  outcome: Pick<RunReport, 'result' | 'reason' | 'stages' | 'scans' | 'deploy'>,
): RunReport {
  return {
    schemaVersion: 1,
    slipway: typeof SLIPWAY_VERSION === 'string' ? SLIPWAY_VERSION : 'dev',
    config: inputs.configLabel,
    environment: inputs.config.environment,
    mode,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    ...outcome,
  };
}

function freshCheck(inputs: RunInputs): StageCheck {
  return { problems: new ConfigProblems(inputs.configLabel), runProblems: new InputProblems(), context: inputs.context };
}

/** The worst way the path stopped: a human needed, then a failure, a cancel, a gate. */
function worstStop(stops: readonly Stop[]): Stop | undefined {
  const rank: Record<Stop['result'], number> = { 'needs-human': 0, failed: 1, cancelled: 2, 'gate-failed': 3 };
  return [...stops].sort((a, b) => rank[a.result] - rank[b.result] || exitCodeOf(b.error) - exitCodeOf(a.error))[0];
}

/** Stages of the path that have no record: skipped by the choice of stages, or after a stop. */
function notRun(inputs: RunInputs, ledger: StageLedger): { id: string; stage: StageKind; why: string; image?: string }[] {
  const recorded = new Set(ledger.records.map((record) => record.id));
  const planned: { id: string; stage: StageKind; image?: string }[] = [];
  for (const image of inputs.config.images.keys()) {
    for (const kind of ['build', 'scan', 'push'] as const) planned.push({ id: `${kind}:${image}`, stage: kind, image });
  }
  if (usesAksContext(inputs.config)) planned.push({ id: 'aks-context', stage: 'aks-context' });
  if (inputs.config.deploy) planned.push({ id: 'deploy', stage: 'deploy' });
  return planned
    .filter((entry) => !recorded.has(entry.id))
    .map((entry) => ({
      ...entry,
      why: inputs.stages.includes(entry.stage) ? 'not run: an earlier stage stopped the path' : 'not part of this run (only/from)',
    }));
}

function writeReport(report: RunReport, dir: string): { json: string; html: string } {
  const json = path.join(dir, 'slipway-report.json');
  const html = path.join(dir, 'slipway-report.html');
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(html, renderRunReportHtml(report));
  return { json, html };
}
