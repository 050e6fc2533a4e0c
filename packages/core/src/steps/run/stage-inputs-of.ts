import path from 'node:path';
import type { ResolvedConfig } from '../../config/resolve-config.ts';
import { addAzureSignIn, StageInputs } from './stage-inputs.ts';

/** The run's own values a stage takes besides the file. */
export interface RunSettings {
  /** The Azure sign-in given to the run itself (flags, task inputs, service connection): overrides the file's. */
  readonly azure: ReadonlyMap<string, string>;
  /** Where layouts go (a directory of the job's temp space). */
  readonly layoutsDir: string;
  readonly reportDir: string;
  readonly action: 'start' | 'promote' | 'abort';
}

/** Placeholders for values earlier stages produce, used to validate every stage before anything runs. */
export const pendingValue = {
  layout: '(the layout build writes)',
  tags: 'pending',
  kubeconfig: '(the kubeconfig aks-context writes)',
  digest: `sha256:${'0'.repeat(64)}`,
} as const;

export function buildStageInputs(config: ResolvedConfig, image: string, settings: RunSettings): StageInputs {
  const entry = config.images.get(image);
  return new StageInputs()
    .addSection(entry?.inputs)
    .defaultTo('image', image, { kind: 'chained', from: `images.${image}` })
    .chain('output-dir', path.join(settings.layoutsDir, image), 'run');
}

export function scanStageInputs(config: ResolvedConfig, image: string, layout: string, settings: RunSettings): StageInputs {
  const report = (extension: string) => path.join(settings.reportDir, `scan-${image}.${extension}`);
  return new StageInputs()
    .addSection(config.scan)
    .chain('layout', layout, `build:${image}`)
    .chain('json-file', report('json'), 'run')
    .chain('sarif-file', report('sarif'), 'run')
    .chain('junit-file', report('junit.xml'), 'run');
}

/** What push takes from build: the layout, its tags (full references) and digest. */
export interface BuiltImage {
  readonly layout: string;
  readonly tags: string;
  readonly digest: string;
}

export function pushStageInputs(config: ResolvedConfig, image: string, built: BuiltImage, settings: RunSettings): StageInputs {
  const inputs = new StageInputs().addSection(config.registry);
  addAzureSignIn(inputs, config, settings.azure);
  return inputs
    .addSection(config.images.get(image)?.inputs, ['image'])
    .defaultTo('image', image, { kind: 'chained', from: `images.${image}` })
    .chain('layout', built.layout, `build:${image}`)
    .chain('tags', built.tags, `build:${image}`)
    .chain('digest', built.digest, `build:${image}`);
}

/** aks-context, unless `cluster.kubeconfig` names a kubeconfig to use as it is. */
export function aksContextStageInputs(config: ResolvedConfig, settings: RunSettings): StageInputs {
  const inputs = new StageInputs().addSection(config.cluster);
  addAzureSignIn(inputs, config, settings.azure);
  return inputs.chain('keep-kubeconfig', 'false', 'run');
}

export function usesAksContext(config: ResolvedConfig): boolean {
  return config.cluster !== undefined && !config.cluster.has('kubeconfig');
}

/** The cluster for deploy: the kubeconfig aks-context wrote, or the file's. */
export interface ClusterAccess {
  readonly kubeconfig: string;
  readonly from: string;
}

export function deployStageInputs(
  config: ResolvedConfig,
  cluster: ClusterAccess | undefined,
  imageRef: ImageRef | undefined,
  settings: RunSettings,
): StageInputs {
  const inputs = new StageInputs().addSection(config.deploy);
  addAzureSignIn(inputs, config, settings.azure);
  inputs.addSection(config.cluster, ['kubeconfig', 'kube-context']);
  if (cluster) inputs.chain('kubeconfig', cluster.kubeconfig, cluster.from);
  if (!config.deploy?.has('namespace')) {
    const namespace = config.cluster?.get('namespace');
    if (namespace) inputs.addSection(new Map([['namespace', namespace]]));
  }
  if (imageRef?.given) inputs.addRunInput('image', imageRef.ref, 'images');
  else if (imageRef) inputs.chain('image', imageRef.ref, imageRef.from);
  return inputs.chain('action', settings.action, 'run');
}

/** The reference deploy takes for its image: pushed by this run, or given to it (`images`). */
export interface ImageRef {
  readonly ref: string;
  /** The stage that pushed it (`push:api`). */
  readonly from: string;
  /** Given to the run (its `images` input) rather than pushed by it. */
  readonly given?: boolean;
}

/**
 * The reference deploy deploys: the one push returned (`pushed`), else the one given to the run; before
 * the run (validation) a placeholder of the reference push will return.
 */
export function deployImageRef(
  config: ResolvedConfig,
  image: string | undefined,
  given: Readonly<Record<string, string>>,
  pushed: ReadonlyMap<string, string> | undefined,
): ImageRef | undefined {
  if (image === undefined) return undefined;
  const ref = pushed?.get(image);
  if (ref !== undefined) return { ref, from: `push:${image}` };
  const givenRef = given[image];
  if (givenRef !== undefined) return { ref: givenRef, from: 'images', given: true };
  const login = config.registry?.get('registry')?.raw ?? 'registry.invalid';
  return { ref: `${login}/${config.images.get(image)?.inputs.get('image')?.raw ?? image}@${pendingValue.digest}`, from: `push:${image}` };
}
