import { azureAuthInputs } from '../../azure/azure-auth-inputs.ts';
import type { InputSpec, StepSpec } from '../../inputs/index.ts';

/** The stages of the path, in the order they run. */
export const runStages = ['build', 'scan', 'push', 'aks-context', 'deploy'] as const;
export type RunStage = (typeof runStages)[number];

/** Inputs and outputs of `run`. */
export const runSpec = {
  id: 'run',
  title: 'Slipway run',
  description:
    'The whole path from one slipway.yaml: build every image, scan and push each (images in parallel), get the AKS context, deploy with the configured strategy and gates, and promote or roll back. The same file drives the CLI, the action and the task. Writes slipway-report.json and a self-contained slipway-report.html.',
  taskName: 'SlipwayRunV1',
  taskId: 'a53f4af9-2b8e-48eb-b6e1-d4bddbab1cbc',
  taskVersion: { major: 1, minor: 0, patch: 0 },
  branding: { icon: 'play-circle', color: 'blue' },
  postPhase: true,
  kubeTokenPlugin: true,
  groups: [
    { name: 'run', displayName: 'Run', isExpanded: true },
    { name: 'azure', displayName: 'Azure sign-in (overrides the file)', isExpanded: false },
  ],
  inputs: [
    {
      name: 'config',
      type: 'string',
      group: 'run',
      default: 'slipway.yaml',
      description: 'The config file, relative to the workspace.',
      example: 'deploy/slipway.yaml',
    },
    {
      name: 'environment',
      type: 'string',
      group: 'run',
      description: "The environment of the file's `environments` to deploy to; its sections override the file's, key by key.",
      example: 'staging',
    },
    {
      name: 'only',
      type: 'list',
      group: 'run',
      allowed: runStages,
      description: 'Run only these stages (build, scan, push, aks-context, deploy); the others are skipped. Default: all.',
      example: 'build,scan',
    },
    {
      name: 'from',
      type: 'enum',
      group: 'run',
      allowed: runStages,
      description: 'Start at this stage and run the rest of the path (`deploy` in a later job, after an approval).',
    },
    {
      name: 'images',
      type: 'map',
      group: 'run',
      description:
        'Image references by image name (`api=myacr.azurecr.io/api@sha256:…`) for a run that deploys without pushing: the `images` output of an earlier run.',
      example: 'api=myacr.azurecr.io/team/api@sha256:…',
    },
    {
      name: 'action',
      type: 'enum',
      group: 'run',
      default: 'start',
      allowed: ['start', 'promote', 'abort'],
      description: "For a canary that an earlier run paused: promote it or abort it (with `from: deploy` and that run's `images`).",
    },
    {
      name: 'dry-run',
      type: 'boolean',
      group: 'run',
      default: 'false',
      description:
        'Print the plan (what would be built, pushed and deployed, with which gates) and the diff of the rendered manifests against the live release; change nothing.',
    },
    {
      name: 'report-dir',
      type: 'string',
      group: 'run',
      default: 'slipway-report',
      description: 'Where slipway-report.json, slipway-report.html and the scan reports are written, relative to the workspace.',
    },
    {
      name: 'max-parallel',
      type: 'integer',
      group: 'run',
      default: '2',
      min: 1,
      max: 16,
      description: 'How many images build, scan and push at once.',
    },
    // Without their defaults: a sign-in input given to the run overrides the file's `azure`, so unset must read as unset.
    ...azureAuthInputs.map(({ default: _, ...input }: InputSpec) => input),
  ],
  outputs: [
    { name: 'result', description: 'How the run ended: succeeded, gate-failed, needs-human, failed or cancelled (a dry run: planned).' },
    { name: 'reason', description: 'Why, when it did not succeed.' },
    { name: 'failed-stage', description: 'The stage that failed (`scan:api`, `deploy`).' },
    { name: 'images', description: 'The pushed images by name, one `name=registry/repo@sha256:…` per line (the `images` input of a later run).' },
    { name: 'deploy-result', description: "The deploy stage's result: deployed, promoted, rolled-back, paused or needs-human." },
    { name: 'revision', description: 'The Helm revision the release runs after the deploy.' },
    { name: 'report', description: 'Path of slipway-report.json.' },
    { name: 'report-html', description: 'Path of slipway-report.html.' },
  ],
} as const satisfies StepSpec;
