import { parseMetricChecks } from '../../canary/analysis/metric-checks.ts';
import { parseSmokeChecks } from '../../smoke/parse-smoke-checks.ts';
import type { ValidationContext } from '../framework/validation-context.ts';
import type { CanaryInputs } from './deploy-inputs.ts';
import type { DeployInputValues } from './validate-deploy-inputs.ts';

/** Azure Monitor workspaces' query endpoints: `https://<workspace>-<id>.<region>.prometheus.monitor.azure.com`. */
const managedPrometheusHost = /\.prometheus\.monitor\.azure\.(?:com|us|cn)$/i;

/**
 * The canary's inputs, checked before anything is sent: weights 1-100 and increasing, the traffic
 * provider's own inputs, the smoke checks and the metric gates (every problem of every entry), and
 * Prometheus' URL. Whether Prometheus accepts each query and the Ingress or HTTPRoute exists is
 * checked by the run, still before anything in the cluster changes.
 */
export function validateCanaryInputs(values: DeployInputValues, context: ValidationContext): CanaryInputs | undefined {
  const { problems } = context;
  if (values.strategy !== 'canary') {
    for (const [name, given] of [
      ['metrics', values.metrics],
      ['smoke', values.smoke],
      ['http-route', values.httpRoute],
      ['ingress', values.ingress],
    ] as const) {
      if (given !== undefined && given.trim() !== '') problems.add(name, 'applies to strategy canary only');
    }
    if (values.action !== 'start') problems.add('action', `${values.action} continues a paused canary: it needs strategy canary`);
    return undefined;
  }

  const steps: number[] = [];
  for (const item of values.steps) {
    const weight = /^\d+%?$/.test(item) ? Number.parseInt(item, 10) : Number.NaN;
    if (!Number.isInteger(weight) || weight < 1 || weight > 100) {
      problems.add('steps', `'${item}' is not a weight from 1 to 100`, 'e.g. 10,25,50');
      continue;
    }
    const last = steps.at(-1);
    if (last !== undefined && weight <= last) problems.add('steps', `weights must increase: ${weight} after ${last}`, 'e.g. 10,25,50');
    steps.push(weight);
  }
  if (values.steps.length === 0) problems.add('steps', 'needs at least one weight', 'e.g. 10,25,50');
  if (values.traffic === 'replicas' && steps.includes(100)) {
    problems.add('steps', 'a replica split cannot send 100% to the canary while stable keeps serving', 'end below 100; promotion moves the rest');
  }
  const pauseAfterStep = values.pauseAfterStep === 0 ? undefined : values.pauseAfterStep;
  if (pauseAfterStep !== undefined && pauseAfterStep > steps.length) {
    problems.add('pause-after-step', `there are only ${steps.length} steps`);
  }

  if (values.traffic === 'gateway-api' && !values.httpRoute) problems.add('http-route', 'traffic gateway-api needs the HTTPRoute to split');
  if (values.traffic !== 'gateway-api' && values.httpRoute) problems.add('http-route', 'applies to traffic gateway-api only');
  if (values.traffic !== 'ingress-nginx' && values.ingress) problems.add('ingress', 'applies to traffic ingress-nginx only');
  for (const [name, value] of [
    ['http-route', values.httpRoute],
    ['ingress', values.ingress],
  ] as const) {
    if (value && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(value)) problems.add(name, `'${value}' is not a Kubernetes object name`);
  }

  const smokeChecks = parseSmokeChecks(values.smoke ?? '', { input: 'smoke', problems });
  const metrics = parseMetricChecks(values.metrics ?? '', 'metrics');
  for (const problem of metrics.problems) problems.add(problem.input, problem.message, problem.hint);

  let prometheus: CanaryInputs['prometheus'];
  if (values.prometheusUrl) {
    let url: URL | undefined;
    try {
      url = new URL(values.prometheusUrl);
    } catch {
      problems.add('prometheus-url', `'${values.prometheusUrl}' is not a URL`, 'e.g. http://prometheus.monitoring:9090');
    }
    if (url && url.protocol !== 'http:' && url.protocol !== 'https:') problems.add('prometheus-url', `must be http(s), not ${url.protocol}`);
    if (url && (url.username || url.password)) problems.add('prometheus-url', 'must not carry credentials (use prometheus-auth)');
    if (url) {
      const auth = values.prometheusAuth === 'auto' ? (managedPrometheusHost.test(url.hostname) ? 'azure' : 'none') : values.prometheusAuth;
      if (auth === 'azure' && url.protocol !== 'https:') problems.add('prometheus-url', 'an Entra token is sent over https only');
      prometheus = { url: url.toString().replace(/\/$/, ''), auth };
    }
  }
  if (metrics.checks.length > 0 && !values.prometheusUrl)
    problems.add('prometheus-url', 'the metric gates need Prometheus', 'the base URL, e.g. http://prometheus.monitoring:9090');
  if (metrics.checks.length === 0 && values.prometheusUrl) problems.add('metrics', 'prometheus-url is set but there is no metric gate');

  return {
    action: values.action,
    steps,
    bakeMs: values.bake,
    pauseAfterStep,
    traffic: values.traffic,
    ingress: values.ingress || undefined,
    httpRoute: values.httpRoute || undefined,
    smokeChecks,
    helmTest: values.smokeHelmTest,
    metrics: metrics.checks,
    prometheus,
  };
}

/** Whether the canary needs the Azure sign-in (managed Prometheus). */
export function canaryNeedsAzure(values: DeployInputValues): boolean {
  if (values.strategy !== 'canary' || !values.prometheusUrl) return false;
  if (values.prometheusAuth === 'azure') return true;
  if (values.prometheusAuth === 'none') return false;
  try {
    return managedPrometheusHost.test(new URL(values.prometheusUrl).hostname);
  } catch {
    return false;
  }
}
