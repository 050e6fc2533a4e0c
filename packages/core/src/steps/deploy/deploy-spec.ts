import { azureAuthInputs } from '../../azure/azure-auth-inputs.ts';
import type { InputSpec, StepSpec } from '../../inputs/index.ts';

/** The inputs deploy and rollback share: which release, in which cluster, through which Helm. */
export const releaseTargetInputs = [
  {
    name: 'release',
    type: 'string',
    group: 'release',
    required: true,
    description: 'The Helm release name (at most 53 lowercase letters, digits, `-` and `.`).',
    example: 'orders-api',
  },
  {
    name: 'namespace',
    type: 'string',
    group: 'release',
    description: "The release's namespace. Default: the kubeconfig context's namespace (aks-context sets it), else `default`.",
  },
  {
    name: 'kubeconfig',
    type: 'string',
    group: 'cluster',
    description: 'Kubeconfig file. Default: $KUBECONFIG, which aks-context exports, else ~/.kube/config.',
  },
  { name: 'kube-context', type: 'string', group: 'cluster', description: 'A context of the kubeconfig other than its current one.' },
  {
    name: 'lock-wait',
    type: 'duration',
    group: 'cluster',
    default: '2m',
    max: 3_600_000,
    description: 'How long to wait for another run that holds the release (its Lease) before giving up with exit 3, naming that run. 0 gives up at once.',
  },
] as const satisfies readonly InputSpec[];

/** Inputs and outputs of `deploy`. */
export const deploySpec = {
  id: 'deploy',
  title: 'Slipway deploy',
  description:
    'Deploys a Helm chart and never leaves the release broken: the rendered chart passes a policy gate first, the release is locked against concurrent runs, a release stuck in pending-* is repaired, and after `helm upgrade --install` Slipway watches the workloads itself, rolling back to the last good revision within seconds of a CrashLoopBackOff, a failed image pull or a lost readiness, or when the job is cancelled.',
  taskName: 'SlipwayDeployV1',
  taskId: '0b8f3f0e-5a2c-4d5e-9c61-7e2d4b9a1c35',
  taskVersion: { major: 1, minor: 0, patch: 0 },
  branding: { icon: 'upload-cloud', color: 'blue' },
  postPhase: true,
  groups: [
    { name: 'release', displayName: 'Release', isExpanded: true },
    { name: 'chart', displayName: 'Chart and values', isExpanded: true },
    { name: 'health', displayName: 'Health and rollback', isExpanded: true },
    { name: 'canary', displayName: 'Canary: steps, traffic and gates', isExpanded: false },
    { name: 'policy', displayName: 'Policy gate', isExpanded: false },
    { name: 'cluster', displayName: 'Cluster', isExpanded: false },
    { name: 'azure', displayName: 'Azure sign-in (charts in ACR)', isExpanded: false },
  ],
  inputs: [
    ...releaseTargetInputs,
    {
      name: 'chart',
      type: 'string',
      group: 'chart',
      required: true,
      description:
        'The chart: a directory or .tgz in the workspace, an OCI reference (`oci://myacr.azurecr.io/helm/app`, signed in with the Azure inputs for ACR), or a chart name in `chart-repo`.',
      example: 'charts/orders-api',
    },
    {
      name: 'chart-version',
      type: 'string',
      group: 'chart',
      description: 'The chart version: required with chart-repo, optional with an OCI chart (its newest otherwise).',
    },
    {
      name: 'chart-repo',
      type: 'string',
      group: 'chart',
      description: 'An https:// chart repository (index.yaml) holding `chart`; no `helm repo add` needed.',
    },
    {
      name: 'chart-registry-auth',
      type: 'enum',
      group: 'chart',
      default: 'auto',
      allowed: ['auto', 'azure', 'none'],
      description:
        'How Helm signs in to the registry of an oci:// chart. azure: the Azure inputs below, exchanged for an ACR refresh token (the same sign-in as push); none: anonymous; auto: azure for *.azurecr.* registries, else none.',
    },
    {
      name: 'values-files',
      type: 'lines',
      group: 'chart',
      description: 'Values files, one per line, in order (later wins).',
    },
    {
      name: 'set',
      type: 'map',
      group: 'chart',
      description:
        'Values as `path=value`, one per line (`replicas=3`, `ingress.host=api.example.com`); they win over values-files. Put secrets in a values file, never here.',
    },
    {
      name: 'image',
      type: 'string',
      group: 'chart',
      description:
        "The image to deploy, pinned by digest: the `image` output of push (`registry/repo@sha256:…`, or `registry/repo:tag@sha256:…`). Written onto the chart's values at image-values.",
      example: 'myacr.azurecr.io/orders-api:1.4.2@sha256:…',
    },
    {
      name: 'image-values',
      type: 'map',
      group: 'chart',
      default: 'image.repository=repository\nimage.tag=tag@digest',
      description:
        "Where the image goes in the chart's values, as `value.path=part`. Parts: `repository` (registry/repo), `registry`, `name` (repo without registry), `tag`, `digest`, `tag@digest` (`1.4.2@sha256:…`, or just the digest's tag form when the image has no tag), `reference` (the whole pinned reference).",
    },
    {
      name: 'strategy',
      type: 'enum',
      group: 'release',
      default: 'direct',
      allowed: ['direct', 'canary'],
      description:
        'direct: upgrade the release, watch it, keep it or roll it back. canary: run the new version beside the stable release (which keeps serving at full scale), shift traffic in steps with gates at each (health, smoke, metrics), then promote it, or remove it and leave stable untouched.',
    },
    {
      name: 'action',
      type: 'enum',
      group: 'canary',
      default: 'start',
      allowed: ['start', 'promote', 'abort'],
      visibleRule: 'strategy = canary',
      description:
        'start: a new canary. promote / abort: continue the canary a previous run left paused (pause-after-step), from the release journal: promote it, or remove it. Give the same chart, values and image as the run that started it.',
    },
    {
      name: 'steps',
      type: 'list',
      group: 'canary',
      default: '10,25,50',
      visibleRule: 'strategy = canary',
      description: "The canary's traffic weights in percent, increasing, each 1-100 (`10,25,50`). After the last step passes, the canary is promoted.",
    },
    {
      name: 'bake',
      type: 'duration',
      group: 'canary',
      default: '1m',
      max: 86_400_000,
      visibleRule: 'strategy = canary',
      description: 'How long each step lasts at least, its gates running (health all along, smoke once, metrics every interval).',
    },
    {
      name: 'pause-after-step',
      type: 'integer',
      group: 'canary',
      default: '0',
      min: 0,
      max: 100,
      visibleRule: 'strategy = canary',
      description:
        'Stop after this step (1 = after the first) with the canary running, exit 0 and result `paused`; a later job (after an approval) runs deploy with action promote or abort. 0: never pause.',
    },
    {
      name: 'traffic',
      type: 'enum',
      group: 'canary',
      default: 'replicas',
      allowed: ['replicas', 'ingress-nginx', 'gateway-api'],
      visibleRule: 'strategy = canary',
      description:
        "How the canary gets its share. replicas: canary pods behind the release's own Services, weight by pod count (works everywhere, coarse). ingress-nginx: a canary Ingress with ingress-nginx's canary-weight annotation (AKS application routing is ingress-nginx). gateway-api: weighted backendRefs on an HTTPRoute.",
    },
    {
      name: 'ingress',
      type: 'string',
      group: 'canary',
      visibleRule: 'traffic = ingress-nginx',
      description:
        "With traffic ingress-nginx: the release's Ingress to split (default: its only one). It is never modified; a canary Ingress is added beside it.",
    },
    {
      name: 'http-route',
      type: 'string',
      group: 'canary',
      visibleRule: 'traffic = gateway-api',
      description:
        "With traffic gateway-api: the HTTPRoute (in the release's namespace) whose backendRefs to the release's Services get weights; restored exactly afterwards.",
    },
    {
      name: 'smoke',
      type: 'multiline',
      group: 'canary',
      visibleRule: 'strategy = canary',
      description:
        "Smoke checks run against the canary at each step (the smoke step's `checks` format: YAML list of url or service, method, headers, expect-status, body-matches, json-path, max-latency, retries). A `service` target is the canary's own Service.",
    },
    {
      name: 'smoke-helm-test',
      type: 'boolean',
      group: 'canary',
      default: 'false',
      visibleRule: 'strategy = canary',
      description: "Also run the chart's `helm test` hooks after the promotion; a failure rolls the stable release back.",
    },
    {
      name: 'metrics',
      type: 'multiline',
      group: 'canary',
      visibleRule: 'strategy = canary',
      description:
        'Metric gates (YAML list): name, query (PromQL; {{release}}, {{namespace}}, {{canary}} substituted), threshold for a pass (`<= 1%`, `< 300ms`), interval, failure-limit (default 1), consecutive-error-limit (4), no-data-limit (3), on-fail / on-error / on-no-data: retry (default), fail, pause or ignore.',
    },
    {
      name: 'prometheus-url',
      type: 'string',
      group: 'canary',
      visibleRule: 'strategy = canary',
      description:
        "Prometheus' base URL for the metric gates, or an Azure Monitor workspace's query endpoint (`https://<workspace>.<region>.prometheus.monitor.azure.com`).",
    },
    {
      name: 'prometheus-auth',
      type: 'enum',
      group: 'canary',
      default: 'auto',
      allowed: ['auto', 'azure', 'none'],
      visibleRule: 'strategy = canary',
      description:
        'azure: an Entra token from the Azure inputs (managed Prometheus; the identity needs the Monitoring Data Reader role on the workspace); none: no credentials; auto: azure for *.prometheus.monitor.azure.com, else none.',
    },
    { name: 'create-namespace', type: 'boolean', group: 'release', default: 'false', description: 'Create the namespace when it does not exist.' },
    {
      name: 'history-max',
      type: 'integer',
      group: 'release',
      default: '10',
      min: 0,
      max: 1000,
      description: 'Revisions Helm keeps (0: all). Rollback needs a good one among them.',
    },
    {
      name: 'server-side',
      type: 'enum',
      group: 'release',
      default: 'auto',
      allowed: ['auto', 'true', 'false'],
      description:
        "Helm 4's server-side apply: true, false, or auto (Helm 4's default: the method the release's previous revision used). Helm 3 applies client-side only: true is refused there.",
    },
    { name: 'description', type: 'string', group: 'release', description: "Recorded in the release history. Default: Slipway's run URL." },
    {
      name: 'timeout',
      type: 'duration',
      group: 'health',
      default: '5m',
      min: 1000,
      max: 7_200_000,
      description:
        'How long the upgrade (hooks included) and the rollout may take before the deploy counts as failed and is rolled back. Failures Slipway recognises (CrashLoopBackOff, image pull errors, OOMKilled...) roll back at once, without waiting for it.',
    },
    {
      name: 'stable-for',
      type: 'duration',
      group: 'health',
      default: '0s',
      max: 3_600_000,
      description: 'Once every workload is rolled out, keep watching this long: a pod that loses readiness or restarts then still fails the deploy.',
    },
    {
      name: 'max-restarts',
      type: 'integer',
      group: 'health',
      default: '2',
      min: 0,
      max: 100,
      description: 'Container restarts of a new pod tolerated within a minute; one more fails the deploy.',
    },
    {
      name: 'policy-fail-on',
      type: 'string',
      group: 'policy',
      default: 'HIGH+>0',
      description:
        "Gate on Trivy's misconfiguration checks of the rendered chart (root, privilege escalation, limits, host paths...), in scan's fail-on language (`CRITICAL>0,HIGH>3`), or `none` to skip the gate.",
    },
    {
      name: 'policy-ignore-file',
      type: 'string',
      group: 'policy',
      description: 'Checks to ignore (scan ignore-file format: ids such as KSV-0012, with reasons and expiry dates).',
    },
    ...azureAuthInputs,
  ],
  outputs: [
    {
      name: 'result',
      description:
        '`deployed` (direct), `promoted` (canary), `paused` (canary left running for a later action: promote or abort; exit 0), `rolled-back` (exit 1), `not-deployed` (blocked before the release changed, exit 1) or `needs-human` (exit 4).',
    },
    {
      name: 'failed-gate',
      description: 'The gate that stopped a canary: `health`, `smoke`, `analysis/<metric>`, `promotion`, `cancel` or `abort`; empty otherwise.',
    },
    { name: 'revision', description: 'The release revision now running.' },
    { name: 'deployed-revision', description: 'The revision this deploy created (also when it was rolled back).' },
    { name: 'rolled-back-to', description: 'The good revision the release was rolled back to (empty when it was not).' },
    { name: 'reason', description: 'Why the deploy did not stick: workload, pod, container and cause.' },
    { name: 'repaired', description: 'What was repaired before the upgrade (a release stuck in pending-*), empty when nothing was.' },
  ],
} as const satisfies StepSpec;
