import type { StepSpec } from '../../inputs/index.ts';

/** Inputs and outputs of `smoke`. */
export const smokeSpec = {
  id: 'smoke',
  title: 'Slipway smoke',
  description:
    "HTTP smoke checks from the runner against a URL or a Kubernetes Service (reached through the API server's service proxy with the kubeconfig's credentials: no ingress or port-forward needed), with expected status, body regex or JSON path, latency limit, retries and one overall deadline; and optionally the release's `helm test`. Secret headers are masked. Exit 1 when a check fails.",
  taskName: 'SlipwaySmokeV1',
  taskId: 'b14ea9bb-c146-48d7-815e-f12ef08636e8',
  taskVersion: { major: 1, minor: 0, patch: 0 },
  branding: { icon: 'activity', color: 'blue' },
  groups: [
    { name: 'checks', displayName: 'Checks', isExpanded: true },
    { name: 'release', displayName: 'Release (helm test, service targets)', isExpanded: false },
    { name: 'cluster', displayName: 'Cluster', isExpanded: false },
  ],
  inputs: [
    {
      name: 'checks',
      type: 'multiline',
      group: 'checks',
      description:
        'A YAML list of checks. Each has `name`, and `url` (http/https) or `service` (`name:port` or `name:port-name`, with optional `namespace`, `path`, `scheme` http|https); optional `method` (GET), `headers`, `secret-headers` (names whose values are masked; Authorization, Proxy-Authorization, Cookie and X-Api-Key always are), `body`, `expect-status` (codes or classes, default 2xx), `body-matches` (a regex) or `json-path` (RFC 9535) with `json-equals`, `max-latency`, `retries` (2), `retry-delay` (1s), `timeout` per attempt (10s). Redirects are not followed: a 3xx is the result.',
      example: '- name: health\n  service: orders-api:http\n  path: /healthz\n  json-path: $.status\n  json-equals: ok\n  max-latency: 500ms',
    },
    {
      name: 'url',
      type: 'string',
      group: 'checks',
      description: 'Shorthand for one check: GET this http(s) URL and expect a 2xx, with the default retries and timeout.',
      example: 'https://orders.example.com/healthz',
    },
    {
      name: 'deadline',
      type: 'duration',
      group: 'checks',
      default: '2m',
      min: 1000,
      max: 3_600_000,
      description: 'The time all checks together may take, retries and helm test included; a check without its verdict by then fails.',
    },
    {
      name: 'helm-test',
      type: 'boolean',
      group: 'release',
      default: 'false',
      description: "Also run the release's `helm test` hooks (needs `release`); each test pod is a row of the result.",
    },
    { name: 'release', type: 'string', group: 'release', description: 'The Helm release whose tests helm-test runs.', example: 'orders-api' },
    {
      name: 'namespace',
      type: 'string',
      group: 'release',
      description: "The release's namespace, and that of service targets that name none. Default: the kubeconfig context's namespace, else `default`.",
    },
    {
      name: 'kubeconfig',
      type: 'string',
      group: 'cluster',
      description: 'Kubeconfig file, for service targets and helm-test. Default: $KUBECONFIG, which aks-context exports, else ~/.kube/config.',
    },
    { name: 'kube-context', type: 'string', group: 'cluster', description: 'A context of the kubeconfig other than its current one.' },
  ],
  outputs: [
    { name: 'result', description: '`passed` or `failed` (exit 1).' },
    { name: 'passed', description: 'How many checks passed (helm test counts as one).' },
    { name: 'failed', description: 'How many checks failed.' },
    { name: 'report', description: 'Every check as JSON: name, target, passed, attempts, status, latencyMs, failures; and helmTest.' },
  ],
} as const satisfies StepSpec;
