import { statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../../errors/index.ts';
import { tagRules as knownTagRules, type TagRule } from '../../git/compute-tags.ts';
import type { InputValues } from '../../inputs/index.ts';
import type { ValidationContext } from '../framework/validation-context.ts';
import { isValidTag, parseImageName } from '../../oci/reference.ts';
import type { buildSpec } from './build-spec.ts';
import type { BuildInputs, BuildSecret, ImageBuildSpec } from './build-inputs.ts';

export type BuildInputValues = InputValues<typeof buildSpec.inputs>;


/**
 * Turns parsed inputs into a BuildInputs whose every path exists and every name is valid, or throws an
 * InputError naming the input. Nothing is written and nothing is run here.
 */
export function validateBuildInputs(values: BuildInputValues, context: ValidationContext): BuildInputs {
  const outputDir = path.resolve(context.workspace, values.outputDir ?? path.join(context.tempDir, 'slipway-oci'));
  const defaults: RawImage = {
    name: values.image,
    context: values.context,
    file: values.file,
    target: values.target,
    buildArgs: values.buildArgs,
    labels: values.labels,
    tags: values.tags,
    platforms: values.platforms,
  };
  const rawImages = values.images ? parseImagesDocument(values.images, defaults) : [{ ...defaults, source: 'image' }];
  if (rawImages.length === 0) throw new InputError('images', 'lists no image');

  const seen = new Set<string>();
  const images = rawImages.map((raw) => {
    const image = validateImage(raw, context.workspace, outputDir);
    if (seen.has(image.name)) throw new InputError(raw.source, `image '${image.name}' is listed twice`);
    seen.add(image.name);
    return image;
  });

  return {
    builder: values.builder as BuildInputs['builder'],
    images,
    tagRules: validateTagRules(values.tagRules),
    secrets: [
      ...parseSecretLines('secrets', values.secrets).map(([id, value]): BuildSecret => ({ id, kind: 'value', value })),
      ...parseSecretLines('secret-files', values.secretFiles).map(([id, file]): BuildSecret => {
        const resolved = path.resolve(context.workspace, file);
        if (!isFile(resolved)) throw new InputError('secret-files', `secret '${id}': file ${resolved} does not exist`);
        return { id, kind: 'file', path: resolved };
      }),
      ...parseSecretLines('secret-envs', values.secretEnvs).map(([id, env]): BuildSecret => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env)) {
          throw new InputError('secret-envs', `secret '${id}': '${env}' is not an environment variable name`);
        }
        if (context.env[env] === undefined) {
          throw new InputError('secret-envs', `secret '${id}': environment variable ${env} is not set`);
        }
        return { id, kind: 'env', env };
      }),
    ].filter(uniqueSecretIds()),
    cacheFrom: values.cacheFrom,
    cacheTo: values.cacheTo,
    noCache: values.noCache,
    maxParallel: values.maxParallel,
    timeoutMs: values.timeout,
  };
}

interface RawImage {
  name: string | undefined;
  context: string;
  file: string | undefined;
  target: string | undefined;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  tags: string[];
  platforms: string[];
}

function validateImage(raw: RawImage & { source: string }, workspace: string, outputDir: string): ImageBuildSpec {
  const input = raw.source;
  if (!raw.name) {
    throw new InputError('image', 'is required (or give several images with `images`)', {
      hint: 'for example: myregistry.azurecr.io/team/api',
    });
  }
  const parsed = parseImageName(raw.name);
  if (!parsed) {
    throw new InputError(input, `'${raw.name}' is not a valid image name`, {
      hint: 'use lowercase letters, digits and . _ - separated by /, optionally after a registry host; no tag or digest',
    });
  }
  const contextDir = path.resolve(workspace, raw.context);
  if (!isDirectory(contextDir)) {
    throw new InputError(input === 'image' ? 'context' : input, `build context ${contextDir} is not a directory`);
  }
  const file = raw.file ? path.resolve(workspace, raw.file) : defaultDockerfile(contextDir);
  if (!file || !isFile(file)) {
    throw new InputError(input === 'image' ? 'file' : input, `Dockerfile ${file ?? path.join(contextDir, 'Dockerfile')} does not exist`);
  }
  if (!isInside(contextDir, file)) {
    throw new InputError(input === 'image' ? 'file' : input, `Dockerfile ${file} is outside the build context ${contextDir}`, {
      hint: 'move the Dockerfile into the context or choose a context that contains it',
    });
  }
  if (raw.target !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(raw.target)) {
    throw new InputError(input === 'image' ? 'target' : input, `'${raw.target}' is not a valid stage name`);
  }
  for (const tag of raw.tags) {
    if (!isValidTag(tag)) {
      throw new InputError(input === 'image' ? 'tags' : input, `'${tag}' is not a valid OCI tag`, {
        hint: 'a tag is up to 128 letters, digits, _ . - and must not start with . or -',
      });
    }
  }
  for (const platform of raw.platforms) {
    if (!/^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/.test(platform)) {
      throw new InputError(input === 'image' ? 'platforms' : input, `'${platform}' is not a platform such as linux/amd64`);
    }
  }
  return {
    name: raw.name,
    context: contextDir,
    file,
    target: raw.target,
    buildArgs: raw.buildArgs,
    labels: raw.labels,
    tags: raw.tags,
    platforms: raw.platforms,
    layoutDir: path.join(outputDir, parsed.repository.replace(/\//g, '_')),
  };
}

/** The `images` YAML list; top-level inputs are defaults, per-image keys override them. */
function parseImagesDocument(text: string, defaults: RawImage): Array<RawImage & { source: string }> {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new InputError('images', `is not valid YAML: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  if (!Array.isArray(document)) throw new InputError('images', 'must be a YAML list of objects with at least a name');
  const allowedKeys = new Set(['name', 'context', 'file', 'target', 'build-args', 'labels', 'tags', 'platforms']);
  return document.map((entry: unknown, index) => {
    const source = `images[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new InputError(source, 'must be an object with at least a name');
    }
    const record = entry as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!allowedKeys.has(key)) throw new InputError(source, `unknown key '${key}' (known: ${[...allowedKeys].join(', ')})`);
    }
    return {
      source,
      name: optionalString(record, 'name', source),
      context: optionalString(record, 'context', source) ?? defaults.context,
      file: optionalString(record, 'file', source) ?? defaults.file,
      target: optionalString(record, 'target', source) ?? defaults.target,
      buildArgs: { ...defaults.buildArgs, ...stringMap(record, 'build-args', source) },
      labels: { ...defaults.labels, ...stringMap(record, 'labels', source) },
      tags: stringList(record, 'tags', source) ?? defaults.tags,
      platforms: stringList(record, 'platforms', source) ?? defaults.platforms,
    };
  });
}

function optionalString(record: Record<string, unknown>, key: string, source: string): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw new InputError(source, `'${key}' must be a string`);
  return String(value);
}

function stringMap(record: Record<string, unknown>, key: string, source: string): Record<string, string> {
  const value = record[key];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(source, `'${key}' must be a map of strings`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

function stringList(record: Record<string, unknown>, key: string, source: string): string[] | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
  if (!Array.isArray(value)) throw new InputError(source, `'${key}' must be a list`);
  return value.map(String);
}

function validateTagRules(rules: readonly string[]): TagRule[] {
  if (rules.includes('none')) {
    if (rules.length > 1) throw new InputError('tag-rules', "'none' cannot be combined with other rules");
    return [];
  }
  for (const rule of rules) {
    if (!(knownTagRules as readonly string[]).includes(rule)) {
      throw new InputError('tag-rules', `unknown rule '${rule}'; expected any of ${knownTagRules.join(', ')}`);
    }
  }
  return rules as TagRule[];
}

function parseSecretLines(input: string, lines: readonly string[]): Array<[string, string]> {
  return lines.map((line) => {
    const eq = line.indexOf('=');
    const id = eq > 0 ? line.slice(0, eq) : '';
    // The value is deliberately left out of the message: it may be the secret itself.
    if (!/^[A-Za-z0-9_.-]+$/.test(id) || eq === line.length - 1) {
      throw new InputError(input, `each line must be id=${input === 'secrets' ? 'VALUE' : input === 'secret-files' ? 'PATH' : 'ENV_NAME'} with an id of letters, digits, _ . -`);
    }
    return [id, line.slice(eq + 1)];
  });
}

function uniqueSecretIds(): (secret: BuildSecret) => boolean {
  const seen = new Set<string>();
  return (secret) => {
    if (seen.has(secret.id)) throw new InputError('secrets', `secret id '${secret.id}' is given twice`);
    seen.add(secret.id);
    return true;
  };
}

function defaultDockerfile(contextDir: string): string | undefined {
  for (const name of ['Dockerfile', 'Containerfile']) {
    const candidate = path.join(contextDir, name);
    if (isFile(candidate)) return candidate;
  }
  return undefined;
}

function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
