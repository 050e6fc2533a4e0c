import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigProblems } from '../../config/config-problems.ts';
import { type ResolvedConfig, resolveConfig } from '../../config/resolve-config.ts';
import { camelCase, checkOutputPath, checkReadPath, type InputValues } from '../../inputs/index.ts';
import type { ValidationContext } from '../framework/validation-context.ts';
import { checkStageInputs, type StageCheck, stageHome, stageStep } from './check-stage-inputs.ts';
import type { StageInputs } from './stage-inputs.ts';
import { type RunStage, runStages, type runSpec } from './run-spec.ts';
import {
  aksContextStageInputs,
  buildStageInputs,
  deployImageRef,
  deployStageInputs,
  pendingValue,
  pushStageInputs,
  type RunSettings,
  scanStageInputs,
  usesAksContext,
} from './stage-inputs-of.ts';

/** What `run` runs: the resolved file, the stages, and the run's own settings. */
export interface RunInputs {
  readonly config: ResolvedConfig;
  readonly configFile: string;
  /** The file as the report names it: relative to the workspace when inside it. */
  readonly configLabel: string;
  readonly stages: readonly RunStage[];
  readonly dryRun: boolean;
  /** The image deploy deploys (a key of `images`), when there is a deploy. */
  readonly deployImage: string | undefined;
  /** References given to the run (`images`), by image name. */
  readonly givenImages: Readonly<Record<string, string>>;
  readonly settings: RunSettings;
  readonly maxParallel: number;
  /** For validating each stage again at run time, once the values earlier stages produce exist. */
  readonly context: Omit<ValidationContext, 'problems'>;
}

/** The marker a report directory holds once Slipway made it: a directory without it is not Slipway's to write. */
export const reportMarker = '.slipway-report';

type RunValues = InputValues<(typeof runSpec)['inputs']>;

const azureInputNames = ['auth', 'tenant-id', 'client-id', 'client-secret', 'client-certificate-path', 'azure-environment', 'authority-host'] as const;

/**
 * Reads the config file and checks the whole run before anything runs: the file's shape (every
 * problem at file:line:column and key), then every stage's inputs with that step's own validation,
 * so a bad value in `deploy` fails the run before a single image is built. Values earlier stages
 * produce (layouts, digests, the kubeconfig) are checked when they exist.
 */
export async function validateRunInputs(values: RunValues, context: ValidationContext): Promise<RunInputs | undefined> {
  const problems = context.problems;
  const configFile = checkReadPath({ input: 'config', value: values.config, kind: 'file' }, context);
  const reportDir = checkOutputPath({ input: 'report-dir', value: values.reportDir, kind: 'directory' }, context);
  if (!problems.has('report-dir')) checkReportDirOwned(reportDir, context);
  if (values.only.length > 0 && values.from !== undefined) problems.add('from', 'give `only` or `from`, not both');
  if (problems.has('config')) return undefined;

  const configLabel = labelOf(configFile, context.workspace);
  const configProblems = new ConfigProblems(configLabel);
  const config = resolveConfig(readFileSync(configFile, 'utf8'), { env: context.env, environment: values.environment }, configProblems);
  if (!config) configProblems.throwIfAny();
  const resolved = config as ResolvedConfig;

  const stages = selectStages(values, resolved);
  const settings: RunSettings = {
    azure: new Map(azureInputNames.flatMap((name) => givenRaw(values, name))),
    layoutsDir: path.join(context.tempDir, 'slipway-run-layouts'),
    reportDir,
    action: values.action,
  };
  const base = { workspace: context.workspace, tempDir: context.tempDir, env: context.env, federatedTokens: context.federatedTokens };
  const check: StageCheck = { problems: configProblems, runProblems: problems, context: base };
  const deployImage = checkSections(resolved, stages, values, configProblems, problems);
  await checkStages(resolved, stages, settings, deployImage, values.images, check);
  configProblems.throwIfAny();
  return {
    config: resolved,
    configFile,
    configLabel,
    stages,
    dryRun: values.dryRun,
    deployImage,
    givenImages: values.images,
    settings,
    maxParallel: values.maxParallel,
    context: base,
  };
}

/** The run's own Azure input as raw text, when given (the run's spec has no defaults for them, so unset is undefined). */
function givenRaw(values: RunValues, name: (typeof azureInputNames)[number]): [string, string][] {
  const key = camelCase(name) as keyof RunValues;
  const value = values[key];
  return typeof value === 'string' && value !== '' ? [[name, value]] : [];
}

function labelOf(file: string, workspace: string): string {
  const relative = path.relative(workspace, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** `only`, or `from` onwards, or all; aks-context only when the cluster is an AKS one. */
function selectStages(values: RunValues, config: ResolvedConfig): RunStage[] {
  const chosen =
    values.only.length > 0 ? runStages.filter((stage) => values.only.includes(stage)) : runStages.slice(values.from ? runStages.indexOf(values.from) : 0);
  return chosen.filter((stage) => stage !== 'aks-context' || usesAksContext(config));
}

/** The sections the chosen stages need, and the image deploy deploys. */
function checkSections(
  config: ResolvedConfig,
  stages: readonly RunStage[],
  values: RunValues,
  problems: ConfigProblems,
  runProblems: ValidationContext['problems'],
): string | undefined {
  const root = config.root;
  const need = (present: boolean, key: string, message: string) => {
    if (!present) problems.add(root.at, key, message);
  };
  const imageStages = stages.filter((stage) => stage === 'build' || stage === 'scan' || stage === 'push');
  need(imageStages.length === 0 || config.images.size > 0, 'images', `is needed to ${imageStages.join(', ')}: name at least one image with its build settings`);
  need(!stages.includes('push') || config.registry !== undefined, 'registry', 'is needed to push: give `login-server` (your ACR)');
  need(!stages.includes('deploy') || config.deploy !== undefined, 'deploy', 'is needed to deploy: give at least `release` and `chart`');
  for (const name of Object.keys(values.images)) {
    if (!config.images.has(name)) runProblems.add('images', `'${name}' is not an image of the file (${[...config.images.keys()].join(', ') || 'none'})`);
  }
  if (imageStages.some((stage) => stage !== 'build') && !stages.includes('build')) {
    runProblems.add(values.from ? 'from' : 'only', `${imageStages.join(' and ')} read the image layout build writes in the same run: include build`);
  }
  if (!stages.includes('deploy') || !config.deploy) return undefined;

  const named = config.deploy.get('image');
  const names = [...config.images.keys()];
  let image: string | undefined;
  if (named) {
    image = named.raw.trim();
    if (!config.images.has(image)) {
      problems.add(named.node.at, named.node.path, `names no image of \`images\` (${names.join(', ') || 'none is defined'})`);
      return undefined;
    }
  } else if (names.length === 1) image = names[0];
  else if (names.length > 1) {
    problems.add(root.at, 'deploy.image', `name the image to deploy: one of ${names.join(', ')}`);
    return undefined;
  }
  if (image !== undefined && !stages.includes('push') && values.images[image] === undefined) {
    runProblems.add(
      'images',
      `deploy needs the reference of image '${image}', which this run does not push: give it as ${image}=<registry>/<repo>@sha256:… (the \`images\` output of the run that pushed it)`,
    );
  }
  return image;
}

/** Every stage's inputs through its step's own validation, with placeholders for what earlier stages produce. */
async function checkStages(
  config: ResolvedConfig,
  stages: readonly RunStage[],
  settings: RunSettings,
  deployImage: string | undefined,
  givenImages: Readonly<Record<string, string>>,
  check: StageCheck,
): Promise<void> {
  const checkStage = (stage: RunStage, inputs: StageInputs, section: string) =>
    checkStageInputs(stageStep(stage), inputs, stageHome(config, section), check, { ignoreChained: true });
  const built = { layout: pendingValue.layout, tags: pendingValue.tags, digest: pendingValue.digest };
  for (const name of config.images.keys()) {
    if (stages.includes('build')) await checkStage('build', buildStageInputs(config, name, settings), `images.${name}`);
    if (stages.includes('scan')) await checkStage('scan', scanStageInputs(config, name, pendingValue.layout, settings), 'scan');
    if (stages.includes('push')) await checkStage('push', pushStageInputs(config, name, built, settings), 'registry');
  }
  if (stages.includes('aks-context')) await checkStage('aks-context', aksContextStageInputs(config, settings), 'cluster');
  if (stages.includes('deploy')) {
    const cluster = usesAksContext(config) ? { kubeconfig: pendingValue.kubeconfig, from: 'aks-context' } : undefined;
    await checkStage('deploy', deployStageInputs(config, cluster, deployImageRef(config, deployImage, givenImages, undefined), settings), 'deploy');
  }
}

/** Slipway writes only into a report directory it made (or an empty one), never over someone else's files. */
function checkReportDirOwned(dir: string, context: ValidationContext): void {
  if (!existsSync(dir) || existsSync(path.join(dir, reportMarker))) return;
  if (readdirSync(dir).length > 0) {
    context.problems.add('report-dir', `${dir} holds files Slipway did not write (it has no ${reportMarker} marker)`, 'choose an empty or new directory');
  }
}
