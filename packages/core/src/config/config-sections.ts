import { azureAuthInputs } from '../azure/azure-auth-inputs.ts';
import type { InputSpec } from '../inputs/index.ts';
import { aksContextSpec } from '../steps/aks-context/aks-context-spec.ts';
import { buildSpec } from '../steps/build/build-spec.ts';
import { deploySpec } from '../steps/deploy/deploy-spec.ts';
import { pushSpec } from '../steps/push/push-spec.ts';
import { scanSpec } from '../steps/scan/scan-spec.ts';

/**
 * One section of `slipway.yaml` and the step whose inputs it holds. A section's keys are that step's
 * input names (the same words as the action's inputs and the CLI's flags), less the inputs `run` fills
 * itself from earlier stages; `renames` and `extra` are the few keys that read better in a file.
 */
export interface ConfigSection {
  readonly name: SectionName;
  readonly description: string;
  /** The step whose inputs the section holds; `azure` holds the sign-in every Azure-facing step shares. */
  readonly step: 'build' | 'scan' | 'push' | 'aks-context' | 'deploy' | undefined;
  /** The keys the section accepts, as input specs (kebab-case names). */
  readonly keys: readonly InputSpec[];
  /** A config key that feeds a differently named input of the step. */
  readonly renames?: Readonly<Record<string, string>>;
}

export type SectionName = 'azure' | 'images' | 'scan' | 'registry' | 'cluster' | 'deploy';

/** Sections an environment may override, key by key. */
export const environmentSections = ['scan', 'registry', 'cluster', 'deploy'] as const satisfies readonly SectionName[];

const azureNames: ReadonlySet<string> = new Set(azureAuthInputs.map((input) => input.name));

/** The step's inputs less those `run` fills (and the Azure sign-in, which is the `azure` section's). */
function keysOf(inputs: readonly InputSpec[], filled: readonly string[]): InputSpec[] {
  return inputs.filter((input) => !filled.includes(input.name) && !azureNames.has(input.name) && !input.hosts);
}

/** `cluster: {kubeconfig: …}` deploys to a cluster that is not AKS (or one you already have a context for). */
const kubeconfigKeys: readonly InputSpec[] = [
  {
    name: 'kubeconfig',
    type: 'string',
    description: 'Use this kubeconfig instead of getting one from AKS (no aks-context stage): a cluster that is not AKS, or a laptop.',
  },
  { name: 'kube-context', type: 'string', description: 'The context of `kubeconfig` to use (default: its current context).' },
];

export const configSections: Readonly<Record<SectionName, ConfigSection>> = {
  azure: {
    name: 'azure',
    description: 'The Azure sign-in every Azure-facing stage shares (push, aks-context, deploy). `client-secret` only as `${ENV_VAR}`.',
    step: undefined,
    keys: azureAuthInputs.filter((input) => !('hosts' in input)),
  },
  images: {
    name: 'images',
    description: 'The images to build, scan and push, by a name of your choice that `deploy.image` refers to.',
    step: 'build',
    keys: keysOf(buildSpec.inputs, ['images', 'output-dir', 'max-parallel']),
  },
  scan: {
    name: 'scan',
    description: 'The Trivy scan and its gate, applied to every image; reports go to the run report directory.',
    step: 'scan',
    keys: keysOf(scanSpec.inputs, [
      'layout',
      'image',
      'report',
      'registry-auth',
      'registry-username',
      'registry-password',
      'insecure-registry',
      'json-file',
      'sarif-file',
      'junit-file',
      'cyclonedx-file',
    ]),
  },
  registry: {
    name: 'registry',
    description: 'Where images are pushed: `login-server` (an ACR) and the push settings. Each image goes to `<login-server>/<image>`.',
    step: 'push',
    keys: [
      {
        name: 'login-server',
        type: 'string',
        required: true,
        description: 'The registry login server images are pushed to.',
        example: 'myregistry.azurecr.io',
      },
      ...keysOf(pushSpec.inputs, ['images', 'layout', 'image', 'tags', 'digest', 'registry']),
    ],
    renames: { 'login-server': 'registry' },
  },
  cluster: {
    name: 'cluster',
    description: 'The AKS cluster (the aks-context inputs), or `kubeconfig` for any other cluster.',
    step: 'aks-context',
    keys: [...keysOf(aksContextSpec.inputs, []), ...kubeconfigKeys],
  },
  deploy: {
    name: 'deploy',
    description: 'The Helm release, its strategy and gates. `image` names an image of `images`; `image-values` maps values paths to image names.',
    step: 'deploy',
    keys: keysOf(deploySpec.inputs, ['kubeconfig', 'kube-context', 'action']),
  },
};

/** Top-level keys besides the sections. */
export const topLevelKeys = ['version', 'environments', ...Object.keys(configSections)] as const;
