/**
 * The smoke engine: HTTP checks run from the runner against a URL or a Service (through the API
 * server's service proxy), and `helm test`. Used by the `smoke` step and, as a gate at each step, by
 * the canary executor.
 */
export { evaluateSmokeResponse, type SmokeResponse } from './evaluate-smoke-response.ts';
export { parseHelmTestOutput, type HelmTestRun, type HelmTestSuite } from './helm-test-output.ts';
export { jsonPathProblem } from './json-path.ts';
export { parseSmokeChecks, parseUrlCheck, smokeCheckDefaults, type ParseSmokeChecksOptions } from './parse-smoke-checks.ts';
export { runHelmTest, type RunHelmTestOptions } from './run-helm-test.ts';
export { runSmokeChecks, type RunSmokeChecksOptions, type SmokeLog, type SmokeRunResult } from './run-smoke-checks.ts';
export { serviceProxyPath, type ServiceProxy } from './send-smoke-request.ts';
export {
  alwaysSecretHeaders,
  describeSmokeTarget,
  type BodyExpectation,
  type HelmTestCheckResult,
  type SmokeCheck,
  type SmokeCheckResult,
  type SmokeReport,
  type SmokeTarget,
  type StatusExpectation,
} from './smoke-check.ts';
export { formatStatusExpectation, parseStatusExpectation, statusMatches } from './status-expectation.ts';
