import type { SmokeReport } from '../../smoke/smoke-check.ts';
import type { StepReport } from '../framework/step-definition.ts';
import { escapeCell } from '../scan/reports/markdown-report.ts';

/** smoke's outputs, summary and outcome: exit 0 when every check passed, 1 (gate failed) otherwise. */
export function buildSmokeReport(report: SmokeReport): StepReport {
  const failedChecks = report.checks.filter((check) => !check.passed);
  const helmTest = report.helmTest;
  const total = report.checks.length + (helmTest ? 1 : 0);
  const failed = failedChecks.length + (helmTest && !helmTest.passed ? 1 : 0);
  const result = report.passed ? 'passed' : 'failed';

  const lines = [`### Slipway smoke: ${result} — ${total - failed}/${total} passed`, ''];
  lines.push('| check | target | status | latency | attempts | result |', '|---|---|---|---|---|---|');
  for (const check of report.checks) {
    const verdict = check.passed ? 'passed' : `failed: ${check.failures.join('; ')}`;
    const row = [
      check.name,
      check.target,
      check.status === undefined ? 'no response' : String(check.status),
      check.latencyMs === undefined ? '—' : `${check.latencyMs} ms`,
      String(check.attempts),
      verdict,
    ];
    lines.push(`| ${row.map(escapeCell).join(' | ')} |`);
  }
  if (helmTest) {
    const target = `release ${helmTest.release} in ${helmTest.namespace}`;
    for (const test of helmTest.tests) {
      const row = ['helm test', `${target}: ${test.name}`, test.phase, '—', '1', test.passed ? 'passed' : 'failed'];
      lines.push(`| ${row.map(escapeCell).join(' | ')} |`);
    }
    if (helmTest.tests.length === 0 || helmTest.message) {
      const row = [
        'helm test',
        target,
        '—',
        '—',
        helmTest.tests.length ? '1' : '0',
        `${helmTest.passed ? 'passed' : 'failed'}${helmTest.message ? `: ${helmTest.message}` : ''}`,
      ];
      lines.push(`| ${row.map(escapeCell).join(' | ')} |`);
    }
  }
  lines.push('', `Took ${(report.durationMs / 1000).toFixed(1)} s${report.deadlineReached ? '; the deadline was reached' : ''}.`, '');

  const reasons = [
    ...failedChecks.map((check) => `${check.name} (${check.failures.join('; ')})`),
    ...(helmTest && !helmTest.passed ? [`helm test (${describeHelmTestFailure(helmTest)})`] : []),
  ];
  return {
    outcome: report.passed ? 'succeeded' : 'gate-failed',
    ...(report.passed ? {} : { reason: `smoke: ${failed} of ${total} checks failed: ${reasons.join(', ')}` }),
    outputs: { result, passed: String(total - failed), failed: String(failed), report: JSON.stringify(report) },
    summary: lines.join('\n'),
    result: report,
  };
}

function describeHelmTestFailure(helmTest: NonNullable<SmokeReport['helmTest']>): string {
  const failedPods = helmTest.tests.filter((test) => !test.passed).map((test) => `${test.name} ${test.phase}`);
  return [...failedPods, ...(helmTest.message ? [helmTest.message] : [])].join('; ') || 'failed';
}
