import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { buildImageValues } from '../../deploy/image-values.ts';
import { workloadsInManifest } from '../../deploy/health/rendered-workloads.ts';
import { openReleaseSession } from '../../deploy/release-session.ts';
import { repairPendingRelease, type RepairReport } from '../../deploy/repair-pending-release.ts';
import { runDirectDeploy, type DirectDeployOutcome, type DirectDeployPlan } from '../../deploy/run-direct-deploy.ts';
import type { CanaryOutcome } from '../../canary/run-canary.ts';
import { formatRun } from '../../deploy/run-identity.ts';
import { runPolicyGate, type PolicyGateResult } from '../../deploy/policy-gate/policy-gate.ts';
import { ExecError, InvalidInputsError } from '../../errors/index.ts';
import { Helm } from '../../tools/helm.ts';
import { writeHelmValuesFiles } from '../../tools/helm-values-files.ts';
import { Trivy } from '../../tools/trivy.ts';
import type { StepReport } from '../framework/step-definition.ts';
import type { StepDeps } from '../framework/step-deps.ts';
import type { DeployInputs } from './deploy-inputs.ts';
import { saveReleaseState } from '../../deploy/release-state.ts';
import { buildDeployReport } from './deploy-report.ts';

export interface DeployRunResult {
  release: string;
  namespace: string;
  policy: PolicyGateResult | undefined;
  repaired: RepairReport | undefined;
  /** The direct deploy: the whole deploy with strategy direct; a canary's first install or its promotion. */
  deploy: DirectDeployOutcome | undefined;
  canary?: CanaryOutcome | undefined;
  /** A canary an earlier run left, removed before this one began. */
  superseded?: string | undefined;
  /** The release's revision now, when the direct deploy does not say (a canary). */
  revision?: number | undefined;
}

/**
 * deploy's work, in the order that keeps a failure cheap: values and chart first, then the chart rendered
 * with the final values and the policy gate (nothing in the cluster has changed yet), then the Lease,
 * the repair of a stuck release, and the upgrade watched by Slipway and rolled back on failure.
 */
export async function runDeployStep(inputs: DeployInputs, deps: StepDeps): Promise<StepReport> {
  const { target } = inputs;
  const scratch = await mkdtemp(path.join(deps.tempDir, 'slipway-deploy-'));
  try {
    // Helm's registry logins go to a file of this run, never to the user's ~/.config/helm.
    const helm = new Helm(deps.runner, 'helm', { HELM_REGISTRY_CONFIG: path.join(scratch, 'registry-config.json') });
    const version = await helm.version();
    deps.log.info(`helm ${version.text}`);
    if (inputs.serverSide === 'true' && version.major === 3) {
      throw new InvalidInputsError([{ input: 'server-side', message: `true needs Helm 4; helm ${version.text} applies client-side only` }]);
    }
    if (inputs.chartRegistrySignIn) await signInToChartRegistry(helm, inputs.chartRegistrySignIn, deps);

    const imageValues = inputs.image ? [buildImageValues(inputs.image.pinned, inputs.image.paths)] : [];
    const written = await writeHelmValuesFiles(imageValues, scratch);
    const valuesFiles = [...inputs.valuesFiles, ...written.files];
    if (inputs.image) deps.log.info(`image ${inputs.image.pinned.reference} at ${inputs.image.paths.map((entry) => entry.path).join(', ')}`);

    const manifest = await deps.log.group('Render the chart with the final values', () => renderChart(helm, inputs, valuesFiles));
    const workloads = workloadsInManifest(manifest, target.namespace);
    deps.log.info(
      `workloads to watch: ${workloads.map((w) => `${w.kind}/${w.name}${w.hooks.length ? ` (hook ${w.hooks.join(',')})` : ''}`).join(', ') || 'none'}`,
    );

    let policy: PolicyGateResult | undefined;
    if (inputs.policy) {
      const gate = inputs.policy;
      policy = await deps.log.group('Policy gate on the rendered chart', () =>
        runPolicyGate(
          {
            manifest,
            failOn: gate.failOn,
            ignoreRules: gate.ignoreRules,
            trivy: new Trivy(deps.runner),
            tempDir: scratch,
            namespace: target.namespace,
            artifact: `release ${target.release} (chart ${describeChart(inputs.chart)})`,
            timeoutMs: 300_000,
            signal: deps.signal,
            now: deps.now,
          },
          deps.log,
        ),
      );
      deps.log.info(`policy gate: ${policy.reason}`);
      if (!policy.passed)
        return buildDeployReport(inputs, { release: target.release, namespace: target.namespace, policy, repaired: undefined, deploy: undefined });
    }

    const direct: DirectDeployPlan = {
      chart: inputs.chart,
      valuesFiles,
      set: inputs.set,
      createNamespace: inputs.createNamespace,
      historyMax: inputs.historyMax,
      serverSide: inputs.serverSide,
      description: inputs.description ?? `slipway deploy by ${formatRun(deps.run)}`,
      workloads,
      timeoutMs: inputs.timeoutMs,
      stableForMs: inputs.stableForMs,
      maxRestarts: inputs.maxRestarts,
    };
    if (inputs.canary) {
      // The canary engine (and its Prometheus client) loads only for strategy canary.
      const { runCanaryDeploy } = await import('../../canary/deploy-with-canary.ts');
      const canary = await runCanaryDeploy(
        {
          canary: inputs.canary,
          target,
          manifest,
          direct,
          image: inputs.image?.pinned.reference,
          azureAuth: inputs.azureAuth,
          helm,
          createNamespace: inputs.createNamespace,
        },
        deps,
      );
      return buildDeployReport(inputs, {
        release: target.release,
        namespace: target.namespace,
        policy,
        repaired: canary.repaired,
        deploy: canary.direct,
        canary: canary.canary,
        superseded: canary.superseded,
        revision: canary.revision,
      });
    }

    const session = await openReleaseSession(target, deps, {
      operation: 'deploy',
      purpose: `deploy by ${formatRun(deps.run)}`,
      helm,
      createNamespace: inputs.createNamespace,
    });
    try {
      saveReleaseState(deps, { target, runId: deps.run.id, timeoutMs: inputs.timeoutMs, maxRestarts: inputs.maxRestarts });
      const repair = await repairPendingRelease(session, {
        deadline: Date.now() + inputs.timeoutMs,
        watchTimeoutMs: inputs.timeoutMs,
        maxRestarts: inputs.maxRestarts,
      });
      // A canary an earlier run left must not outlive the version it tested.
      const superseded = session.previous?.canary ? await (await import('../../canary/remove-left-canary.ts')).removeLeftCanary(session) : undefined;
      const deploy = await runDirectDeploy(session, direct, repair.history);
      return buildDeployReport(inputs, { release: target.release, namespace: target.namespace, policy, repaired: repair.report, deploy, superseded });
    } finally {
      await session.close();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function describeChart(chart: DeployInputs['chart']): string {
  if (chart.kind === 'path') return path.basename(chart.path);
  if (chart.kind === 'oci') return `${chart.reference}${chart.version ? ` ${chart.version}` : ''}`;
  return `${chart.chart} ${chart.version} from ${chart.repoUrl}`;
}

/**
 * `helm template` with the values the upgrade will get. A chart that does not render is bad input
 * (exit 2, the cluster untouched): Helm's own message names the template and line.
 */
async function renderChart(helm: Helm, inputs: DeployInputs, valuesFiles: readonly string[]): Promise<string> {
  try {
    return await helm.template({
      release: inputs.target.release,
      chart: inputs.chart,
      namespace: inputs.target.namespace,
      valuesFiles,
      set: inputs.set,
    });
  } catch (error) {
    if (!(error instanceof ExecError) || error.timedOut) throw error;
    const detail = error.stderrTail.split('\n').filter(Boolean).slice(-3).join(' ') || error.message;
    const blame = /values|--set|set /i.test(detail) && !/template/i.test(detail) ? (Object.keys(inputs.set).length ? 'set' : 'values-files') : 'chart';
    throw new InvalidInputsError([
      { input: blame, message: `the chart does not render: ${detail}`, hint: 'run `helm template` with the same chart and values to see it' },
    ]);
  }
}

async function signInToChartRegistry(helm: Helm, signIn: NonNullable<DeployInputs['chartRegistrySignIn']>, deps: StepDeps): Promise<void> {
  // The Azure SDKs load only for a chart in ACR.
  const { signInToRegistry } = await import('../../azure/registry-sign-in.ts');
  const credentials = await signInToRegistry({
    registry: signIn.registry,
    auth: signIn.auth,
    federatedToken: deps.federatedToken,
    signal: deps.signal,
    log: deps.log,
    setSecret: deps.setSecret,
  });
  await helm.registryLogin({ host: signIn.registry, username: credentials.username }, credentials.password);
}
