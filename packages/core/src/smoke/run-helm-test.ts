import type { HelmTarget } from '../tools/helm-args.ts';
import type { Helm } from '../tools/helm.ts';
import { quote } from './evaluate-smoke-response.ts';
import type { SmokeLog } from './run-smoke-checks.ts';
import type { HelmTestCheckResult } from './smoke-check.ts';

export interface RunHelmTestOptions extends HelmTarget {
  release: string;
  /** How long each test pod may take. */
  timeoutMs: number;
  log: SmokeLog;
}

/**
 * `helm test` as a smoke check: one line per test pod, one for the verdict. Asks for the pods' logs
 * (what a failed test printed, shown with the result), and does not count it a failure when the
 * cluster has none to give (Helm then exits 1 although every test passed).
 */
export async function runHelmTest(helm: Helm, options: RunHelmTestOptions): Promise<HelmTestCheckResult> {
  const { log, release, timeoutMs, ...target } = options;
  const run = await helm.test({ ...target, release, timeoutMs, logs: true });
  for (const suite of run.suites) log.info(`smoke: [helm test] ${suite.name}: ${suite.phase}`);
  for (const suite of run.suites) {
    const text = run.logs[suite.name];
    if (suite.phase !== 'Succeeded' && text) log.info(`smoke: [helm test] ${suite.name} logs: ${quote(text)}`);
  }
  const failed = run.suites.filter((suite) => suite.phase !== 'Succeeded');
  let message: string | undefined;
  if (run.noTests) message = 'the chart has no test hooks';
  else if (run.logsUnavailable) message = 'the test pods left no logs to show';
  else if (!run.passed) message = run.error ? quote(run.error) : failed.length ? undefined : 'helm test failed';
  const passedCount = run.suites.length - failed.length;
  log.info(
    `smoke: [helm test] ${release} ${run.passed ? 'passed' : 'failed'}: ${passedCount}/${run.suites.length} test pods succeeded${message ? ` (${message})` : ''}`,
  );
  return {
    release,
    namespace: target.namespace,
    passed: run.passed,
    tests: run.suites.map((suite) => ({ name: suite.name, phase: suite.phase, passed: suite.phase === 'Succeeded' })),
    message,
  };
}
