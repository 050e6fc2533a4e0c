import { KubeApi } from '../../k8s/kube-api.ts';
import { runHelmTest } from '../../smoke/run-helm-test.ts';
import { formatMs, runSmokeChecks } from '../../smoke/run-smoke-checks.ts';
import type { HelmTestCheckResult, SmokeReport } from '../../smoke/smoke-check.ts';
import { Helm } from '../../tools/helm.ts';
import type { StepReport } from '../framework/step-definition.ts';
import type { StepDeps } from '../framework/step-deps.ts';
import type { SmokeInputs } from './smoke-inputs.ts';
import { buildSmokeReport } from './smoke-report.ts';

/** helm test needs a moment to create and watch a pod: below this, it is not started at all. */
const minHelmTestMs = 5_000;

/**
 * smoke's work: the HTTP checks (a Kubernetes API connection only when one targets a Service), then
 * `helm test` with what is left of the deadline. Failed checks are the report, never an error.
 */
export async function runSmokeStep(inputs: SmokeInputs, deps: StepDeps): Promise<StepReport> {
  const started = performance.now();
  const deadline = started + inputs.deadlineMs;
  const { cluster } = inputs;
  const needsProxy = inputs.checks.some((check) => check.target.kind === 'service');
  const serviceProxy =
    needsProxy && cluster
      ? await KubeApi.open({ kubeconfigFile: cluster.kubeconfig, context: cluster.kubeContext, timeoutMs: 30_000, signal: deps.signal })
      : undefined;

  const run =
    inputs.checks.length > 0
      ? await deps.log.group(`Smoke checks (${inputs.checks.length})`, () =>
          runSmokeChecks(inputs.checks, {
            deadlineMs: inputs.deadlineMs,
            log: deps.log,
            setSecret: deps.setSecret,
            signal: deps.signal,
            sleep: deps.sleep,
            ...(serviceProxy ? { serviceProxy } : {}),
            ...(cluster ? { defaultNamespace: cluster.namespace } : {}),
          }),
        )
      : { passed: true, checks: [], deadlineReached: false, durationMs: 0 };

  let helmTest: HelmTestCheckResult | undefined;
  let deadlineReached = run.deadlineReached;
  if (inputs.helmTest && cluster) {
    const release = inputs.helmTest.release;
    const remaining = deadline - performance.now();
    if (remaining < minHelmTestMs) {
      deadlineReached = true;
      helmTest = {
        release,
        namespace: cluster.namespace,
        passed: false,
        tests: [],
        message: `not run: the deadline of ${formatMs(inputs.deadlineMs)} left ${Math.max(0, Math.round(remaining))} ms`,
      };
      deps.log.info(`smoke: [helm test] ${release} ${helmTest.message}`);
    } else {
      helmTest = await deps.log.group(`helm test ${release}`, async () => {
        const helm = new Helm(deps.runner);
        deps.log.info(`helm ${(await helm.version()).text}`);
        return runHelmTest(helm, {
          release,
          namespace: cluster.namespace,
          kubeconfig: cluster.kubeconfig,
          ...(cluster.kubeContext ? { kubeContext: cluster.kubeContext } : {}),
          timeoutMs: remaining,
          log: deps.log,
        });
      });
    }
  }

  const report: SmokeReport = {
    passed: run.passed && (helmTest?.passed ?? true),
    checks: run.checks,
    helmTest,
    deadlineReached,
    durationMs: Math.round(performance.now() - started),
  };
  return buildSmokeReport(report);
}
