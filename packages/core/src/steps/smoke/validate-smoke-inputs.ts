import { releaseNameProblem, validateReleaseTarget } from '../../deploy/validate-release-target.ts';
import type { InputValues } from '../../inputs/index.ts';
import { parseSmokeChecks, parseUrlCheck } from '../../smoke/parse-smoke-checks.ts';
import type { SmokeCheck } from '../../smoke/smoke-check.ts';
import type { ValidationContext } from '../framework/validation-context.ts';
import type { SmokeInputs } from './smoke-inputs.ts';
import type { smokeSpec } from './smoke-spec.ts';

export type SmokeInputValues = InputValues<typeof smokeSpec.inputs>;

/**
 * Parses every check and, only when a check targets a Service or helm-test is on, the cluster (the
 * kubeconfig is read, nothing is sent). Every problem is recorded together.
 */
export function validateSmokeInputs(values: SmokeInputValues, context: ValidationContext): SmokeInputs {
  const problems = context.problems;
  const checks: SmokeCheck[] = [];
  if (values.url !== undefined) {
    const check = parseUrlCheck(values.url, { input: 'url', problems });
    if (check) checks.push(check);
  }
  if (values.checks !== undefined && values.checks.trim() !== '') {
    const listed = parseSmokeChecks(values.checks, { input: 'checks', problems });
    const urlCheck = checks[0];
    for (const [index, check] of listed.entries()) {
      if (urlCheck && check.name === urlCheck.name)
        problems.add(`checks[${index}].name`, `'url' is the name of the url input's check; name this one otherwise`);
    }
    checks.push(...listed);
  }
  if (values.helmTest && values.release === undefined && !problems.has('release')) {
    problems.add('release', 'helm-test: true needs the release whose tests to run');
  }
  if (!values.helmTest && values.url === undefined && (values.checks ?? '').trim() === '' && !problems.has('url')) {
    problems.add('checks', 'nothing to check: give checks, url, or helm-test: true with a release', 'for one URL: url: https://example.com/healthz');
  }

  const needsCluster = values.helmTest || checks.some((check) => check.target.kind === 'service');
  let cluster: SmokeInputs['cluster'];
  if (needsCluster) {
    const target = validateReleaseTarget(
      { release: values.release, namespace: values.namespace, kubeconfig: values.kubeconfig, kubeContext: values.kubeContext, lockWait: 0 },
      context,
    );
    cluster = { namespace: target.namespace, kubeconfig: target.kubeconfig, kubeContext: target.kubeContext };
  } else if (values.release !== undefined) {
    const problem = releaseNameProblem(values.release);
    if (problem) problems.add('release', problem);
  }
  return {
    checks,
    deadlineMs: values.deadline,
    helmTest: values.helmTest && values.release !== undefined ? { release: values.release } : undefined,
    cluster,
  };
}
