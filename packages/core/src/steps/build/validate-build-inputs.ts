import { statSync } from 'node:fs';
import path from 'node:path';
import type { TagRule } from '../../git/compute-tags.ts';
import {
  checkMapKey,
  checkOutputPath,
  checkReadPath,
  findControlCharacter,
  isWithin,
  parseYamlStrings,
  type InputValues,
  type YamlValue,
} from '../../inputs/index.ts';
import { isValidTag, parseImageName } from '../../oci/reference.ts';
import type { ValidationContext } from '../framework/validation-context.ts';
import type { BuildInputs, BuildSecret, ImageBuildSpec } from './build-inputs.ts';
import type { buildSpec } from './build-spec.ts';
import { checkCacheEntry, type CacheDirection } from './cache-entry.ts';
import { checkLayoutDirFree, layoutDirTakenError } from './layout-dir.ts';

export type BuildInputValues = InputValues<typeof buildSpec.inputs>;

/**
 * Turns parsed inputs into BuildInputs whose every path exists and every name is valid, recording each
 * problem in `context.problems` with the input to blame. Nothing is written and nothing is run here.
 */
export function validateBuildInputs(values: BuildInputValues, context: ValidationContext): BuildInputs {
  const outputDir =
    values.outputDir === undefined
      ? path.join(context.tempDir, 'slipway-oci')
      : checkOutputPath({ input: 'output-dir', value: values.outputDir, kind: 'directory' }, context);
  const tagRules = values.tagRules.filter((rule): rule is TagRule => rule !== 'none');
  checkTagRules(values.tagRules, context);

  const sources = imageSources(values, context);
  const images = sources.map((source) => checkImage(source, { context, outputDir, tagRules }));
  checkDistinct(sources, images, context);

  return {
    builder: values.builder,
    images,
    tagRules,
    secrets: checkSecrets(values, context),
    cacheFrom: checkCacheEntries('from', values, context),
    cacheTo: checkCacheEntries('to', values, context),
    noCache: values.noCache,
    maxParallel: values.maxParallel,
    timeoutMs: values.timeout,
  };
}

/** The fields of one image, named as the user writes them in the single-image inputs and in `images`. */
type ImageField = 'name' | 'context' | 'file' | 'target' | 'build-args' | 'labels' | 'tags' | 'platforms';

/** One image as the inputs describe it, before any check; it knows which input each field came from. */
interface ImageSource {
  /** `image` for the single-image inputs, `images[2]` for an entry of the YAML list. */
  readonly label: string;
  readonly name: string | undefined;
  readonly context: string;
  readonly file: string | undefined;
  readonly target: string | undefined;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
  readonly platforms: readonly string[];
  /** The input to blame for a field: `tags`, or `images[2].tags` when that entry sets its own. */
  inputOf(field: ImageField): string;
}

/** The single-image inputs, which are also the defaults of every `images` entry. */
function topLevelSource(values: BuildInputValues): ImageSource {
  return {
    label: 'image',
    name: values.image,
    context: values.context ?? '.',
    file: values.file,
    target: values.target,
    buildArgs: values.buildArgs,
    labels: values.labels,
    tags: values.tags,
    platforms: values.platforms,
    inputOf: (field) => (field === 'name' ? 'image' : field),
  };
}

function imageSources(values: BuildInputValues, context: ValidationContext): ImageSource[] {
  const defaults = topLevelSource(values);
  if (values.images === undefined) {
    // An `images` that failed parsing is empty: its problem is already recorded, so no "image is required".
    if (values.image === undefined && !context.problems.has('image') && !context.problems.has('images')) {
      context.problems.add('image', 'is required (or give several images with `images`)', 'for example: myregistry.azurecr.io/team/api');
    }
    return context.problems.has('images') ? [] : [defaults];
  }
  if (values.image !== undefined) {
    context.problems.add('image', 'cannot be combined with `images`', 'give each image its name in the `images` list');
  }
  const parsed = parseYamlStrings(values.images);
  if ('error' in parsed) {
    context.problems.add('images', parsed.error);
    return [];
  }
  if (!Array.isArray(parsed.value) || parsed.value.length === 0) {
    context.problems.add('images', 'must be a YAML list with at least one image', 'for example: - name: myregistry.azurecr.io/team/api');
    return [];
  }
  return (parsed.value as readonly YamlValue[]).flatMap((entry, index) => {
    const source = entrySource(entry, { label: `images[${index}]`, defaults }, context);
    return source ? [source] : [];
  });
}

const entryKeys: readonly ImageField[] = ['name', 'context', 'file', 'target', 'build-args', 'labels', 'tags', 'platforms'];

/** One `images` entry over the defaults; undefined (with problems recorded) when it is not a mapping. */
function entrySource(entry: YamlValue, at: { label: string; defaults: ImageSource }, context: ValidationContext): ImageSource | undefined {
  const { label, defaults } = at;
  if (!(entry instanceof Map)) {
    context.problems.add(label, 'must be a mapping with at least a name');
    return undefined;
  }
  const problems = context.problems;
  for (const key of entry.keys()) {
    if (!(entryKeys as readonly string[]).includes(key)) problems.add(label, `unknown key '${key}' (known: ${entryKeys.join(', ')})`);
  }
  const given = (field: ImageField) => entry.has(field) && entry.get(field) !== '';
  const inputOf = (field: ImageField) => (given(field) || field === 'name' ? `${label}.${field}` : defaults.inputOf(field));
  const text = (field: ImageField) => (given(field) ? yamlText(entry.get(field), inputOf(field), context) : undefined);
  const list = (field: 'tags' | 'platforms') => (given(field) ? yamlList(entry.get(field), inputOf(field), context) : undefined);
  const map = (field: 'build-args' | 'labels') => (given(field) ? yamlMap(entry.get(field), inputOf(field), context) : {});
  const name = text('name');
  if (name === undefined && !problems.has(`${label}.name`)) problems.add(`${label}.name`, 'is required');
  return {
    label,
    name,
    context: text('context') ?? defaults.context,
    file: text('file') ?? defaults.file,
    target: text('target') ?? defaults.target,
    // The entry's keys were checked like the `build-args`/`labels` inputs' keys, so merging is safe.
    buildArgs: { ...defaults.buildArgs, ...map('build-args') },
    labels: { ...defaults.labels, ...map('labels') },
    tags: list('tags') ?? defaults.tags,
    platforms: list('platforms') ?? defaults.platforms,
    inputOf,
  };
}

/** A scalar of the `images` document that must be one line of text. */
function yamlText(value: YamlValue | undefined, input: string, context: ValidationContext): string | undefined {
  if (typeof value !== 'string') {
    context.problems.add(input, 'must be a string');
    return undefined;
  }
  const control = findControlCharacter(value);
  if (control) {
    context.problems.add(input, `must be a single line without control characters; found ${control}`);
    return undefined;
  }
  return value.trim();
}

/** A list field: a YAML list of strings, or one string of comma- or newline-separated items. */
function yamlList(value: YamlValue | undefined, input: string, context: ValidationContext): string[] | undefined {
  const items = typeof value === 'string' ? value.split(/[\n,]/) : Array.isArray(value) ? (value as readonly YamlValue[]) : undefined;
  if (!items) {
    context.problems.add(input, 'must be a list of strings');
    return undefined;
  }
  const out: string[] = [];
  for (const item of items) {
    const text = yamlText(item, input, context);
    if (text) out.push(text);
  }
  return out;
}

/** `build-args` or `labels` in an entry: a mapping whose keys follow the same rules as the map inputs. */
function yamlMap(value: YamlValue | undefined, input: string, context: ValidationContext): Record<string, string> {
  if (!(value instanceof Map)) {
    context.problems.add(input, 'must be a mapping of KEY: value');
    return {};
  }
  const out: Record<string, string> = {};
  for (const [key, item] of value) {
    const refused = checkMapKey(key);
    if (refused) {
      context.problems.add(input, refused);
      continue;
    }
    const text = yamlText(item, `${input}.${key}`, context);
    if (text !== undefined) out[key] = text;
  }
  return out;
}

interface ImageCheckEnv {
  readonly context: ValidationContext;
  readonly outputDir: string;
  readonly tagRules: readonly TagRule[];
}

/** Checks one image and returns it resolved; every problem is recorded against the input it came from. */
function checkImage(source: ImageSource, env: ImageCheckEnv): ImageBuildSpec {
  const { context } = env;
  const problems = context.problems;
  const blame = source.inputOf;
  const parsed = source.name === undefined ? undefined : parseImageName(source.name);
  if (source.name !== undefined && !parsed) {
    const hint = 'use lowercase letters, digits and . _ - separated by /, optionally after a registry host; no tag or digest';
    problems.add(blame('name'), `'${source.name}' is not a valid image name`, hint);
  }
  const contextDir = problems.has(blame('context'))
    ? path.resolve(context.workspace, source.context)
    : checkReadPath({ input: blame('context'), value: source.context, kind: 'directory' }, context);
  const file = checkDockerfile(source, contextDir, context);
  if (source.target !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(source.target)) {
    problems.add(blame('target'), `'${source.target}' is not a valid stage name`);
  }
  for (const tag of source.tags) {
    if (!isValidTag(tag)) {
      problems.add(blame('tags'), `'${tag}' is not a valid OCI tag`, 'a tag is up to 128 letters, digits, _ . - and must not start with . or -');
    }
  }
  if (env.tagRules.length === 0 && source.tags.length === 0 && !problems.has(blame('tags'))) {
    problems.add(blame('tags'), 'no tag can result: tag-rules is none and no tags are given', 'give tags, or tag-rules such as sha,branch');
  }
  for (const platform of source.platforms) {
    if (!/^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/.test(platform)) problems.add(blame('platforms'), `'${platform}' is not a platform such as linux/amd64`);
  }
  const layoutDir = path.join(env.outputDir, (parsed?.repository ?? 'image').replace(/\//g, '_'));
  if (parsed && !problems.has('output-dir')) checkLayoutDir(layoutDir, contextDir, context);
  return {
    name: source.name ?? '',
    context: contextDir,
    file: file ?? '',
    target: source.target,
    buildArgs: source.buildArgs,
    labels: source.labels,
    tags: source.tags,
    platforms: source.platforms,
    layoutDir,
  };
}

/** The Dockerfile: the one given (inside the context), or Dockerfile/Containerfile in the context. */
function checkDockerfile(source: ImageSource, contextDir: string, context: ValidationContext): string | undefined {
  const input = source.inputOf('file');
  if (source.file === undefined) {
    if (context.problems.has(source.inputOf('context'))) return undefined;
    const found = ['Dockerfile', 'Containerfile'].map((name) => path.join(contextDir, name)).find(isFile);
    if (!found) context.problems.add(input, `no Dockerfile or Containerfile in ${contextDir}`, 'give file, or add a Dockerfile to the context');
    return found;
  }
  const before = context.problems.count;
  const file = checkReadPath({ input, value: source.file, kind: 'file' }, context);
  if (context.problems.count === before && !context.problems.has(source.inputOf('context')) && (file === contextDir || !isWithin(contextDir, file))) {
    const hint = 'move the Dockerfile into the context or choose a context that contains it';
    context.problems.add(input, `Dockerfile ${file} is outside the build context ${contextDir}`, hint);
  }
  return file;
}

/** The build empties a layout directory first: only one Slipway wrote, and never one holding the build context. */
function checkLayoutDir(layoutDir: string, contextDir: string, context: ValidationContext): void {
  const taken = checkLayoutDirFree(layoutDir);
  if (taken) {
    const error = layoutDirTakenError(taken);
    context.problems.add(error.input, error.problem, error.hint);
  } else if (isWithin(layoutDir, contextDir)) {
    context.problems.add('output-dir', `the image layout ${layoutDir} would hold the build context ${contextDir}, which the build empties first`);
  }
}

/** Two images may not share a name, nor a layout directory (`a.io/team/api` and `b.io/team/api`). */
function checkDistinct(sources: readonly ImageSource[], images: readonly ImageBuildSpec[], context: ValidationContext): void {
  const byName = new Map<string, string>();
  const byLayout = new Map<string, string>();
  images.forEach((image, index) => {
    const label = sources[index]?.label ?? 'image';
    if (!image.name || !parseImageName(image.name)) return;
    const sameName = byName.get(image.name);
    if (sameName) context.problems.add(label, `image '${image.name}' is listed twice (also ${sameName})`);
    else if (byLayout.has(image.layoutDir)) {
      const other = byLayout.get(image.layoutDir);
      context.problems.add(label, `writes its layout to ${image.layoutDir}, like ${other}`, 'give the images distinct repository names');
    }
    byName.set(image.name, label);
    byLayout.set(image.layoutDir, label);
  });
}

function checkTagRules(rules: readonly string[], context: ValidationContext): void {
  if (rules.includes('none') && rules.length > 1) context.problems.add('tag-rules', "'none' cannot be combined with other rules");
}

type SecretInput = 'secrets' | 'secret-files' | 'secret-envs';

/** Build secrets of the three kinds; an id may be used once across all of them. */
function checkSecrets(values: BuildInputValues, context: ValidationContext): BuildSecret[] {
  const secrets: BuildSecret[] = [];
  const seen = new Map<string, SecretInput>();
  const add = (input: SecretInput, secret: BuildSecret) => {
    const first = seen.get(secret.id);
    if (first) context.problems.add(input, `secret id '${secret.id}' is given twice${first === input ? '' : ` (also in ${first})`}`);
    seen.set(secret.id, input);
    secrets.push(secret);
  };
  for (const [id, value] of secretLines('secrets', values.secrets, context)) add('secrets', { id, kind: 'value', value });
  for (const [id, file] of secretLines('secret-files', values.secretFiles, context)) {
    add('secret-files', { id, kind: 'file', path: checkReadPath({ input: 'secret-files', value: file, kind: 'file' }, context) });
  }
  for (const [id, env] of secretLines('secret-envs', values.secretEnvs, context)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env)) context.problems.add('secret-envs', `secret '${id}': '${env}' is not an environment variable name`);
    else if (context.env[env] === undefined) context.problems.add('secret-envs', `secret '${id}': environment variable ${env} is not set`);
    add('secret-envs', { id, kind: 'env', env, value: context.env[env] ?? '' });
  }
  return secrets;
}

const secretForms: Readonly<Record<SecretInput, string>> = { secrets: 'VALUE', 'secret-files': 'PATH', 'secret-envs': 'ENV_NAME' };

function secretLines(input: SecretInput, lines: readonly string[], context: ValidationContext): Array<[string, string]> {
  return lines.flatMap((line, index): Array<[string, string]> => {
    const eq = line.indexOf('=');
    const id = eq > 0 ? line.slice(0, eq) : '';
    if (!/^[A-Za-z0-9_.-]+$/.test(id) || eq === line.length - 1) {
      // The line is deliberately left out of the message: it may be the secret itself.
      context.problems.add(input, `line ${index + 1}: expected id=${secretForms[input]} with an id of letters, digits, _ . -`);
      return [];
    }
    return [[id, line.slice(eq + 1)]];
  });
}

/** cache-from/cache-to entries become argv elements: only the forms the builder accepts pass. */
function checkCacheEntries(direction: CacheDirection, values: BuildInputValues, context: ValidationContext): string[] {
  const input = direction === 'from' ? 'cache-from' : 'cache-to';
  const entries = direction === 'from' ? values.cacheFrom : values.cacheTo;
  const hint =
    values.builder === 'buildah'
      ? 'give a repository, e.g. myregistry.azurecr.io/team/api-cache'
      : 'e.g. type=registry,ref=myregistry.azurecr.io/team/api:cache';
  for (const entry of entries) {
    const problem = checkCacheEntry(entry, { direction, builder: values.builder });
    if (problem) context.problems.add(input, problem, hint);
  }
  return entries;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
