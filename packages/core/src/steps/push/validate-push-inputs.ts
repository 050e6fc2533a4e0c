import { existsSync } from 'node:fs';
import path from 'node:path';
import { validateAzureAuth } from '../../azure/azure-auth-inputs.ts';
import { SlipwayError } from '../../errors/index.ts';
import { checkReadPath, findControlCharacter, type InputValues } from '../../inputs/index.ts';
import { readOciLayoutIndex } from '../../oci/oci-layout.ts';
import { isValidDigest, isValidTag, isWithinDnsLimits, parseImageName } from '../../oci/reference.ts';
import type { ValidationContext } from '../framework/validation-context.ts';
import type { PushInputs, PushTargetImage } from './push-inputs.ts';
import type { pushSpec } from './push-spec.ts';

export type PushInputValues = InputValues<typeof pushSpec.inputs>;

const registryHost = /^(?:localhost|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::\d{1,5})?$/;

/**
 * Checks every push input before any sign-in or upload, recording each problem in `context.problems`.
 * Reads each layout's index.json (read-only) so that a digest the layout does not hold is refused here,
 * naming `digest`, rather than after signing in.
 */
export async function validatePushInputs(values: PushInputValues, context: ValidationContext): Promise<PushInputs> {
  const problems = context.problems;
  if (values.registry !== undefined && !(registryHost.test(values.registry) && isWithinDnsLimits(values.registry))) {
    problems.add('registry', `'${values.registry}' is not a registry host such as myregistry.azurecr.io`);
  }
  const images: PushTargetImage[] = [];
  for (const source of pushSources(values, context)) images.push(await checkTarget(source, { context, registry: values.registry }));
  checkNoTagPushedTwice(images, context);
  const auth = validateAzureAuth(values, context, { signIn: true });
  return { images, auth, attempts: values.attempts, retention: checkRetention(values, context) };
}

type PushField = 'name' | 'layout' | 'tags' | 'digest';

/** One image to push as the inputs describe it; it knows which input each field came from. */
interface PushSource {
  /** `image` for the single-image inputs, `images[1]` for an entry of the build's `images` JSON. */
  readonly label: string;
  readonly name: string;
  readonly layout: string;
  readonly tags: readonly string[];
  readonly digest: string | undefined;
  inputOf(field: PushField): string;
}

const topLevelInputs: Readonly<Record<PushField, string>> = { name: 'image', layout: 'layout', tags: 'tags', digest: 'digest' };

/** The build's `images` JSON, or the single-image inputs; never both. */
function pushSources(values: PushInputValues, context: ValidationContext): PushSource[] {
  const problems = context.problems;
  if (values.images === undefined) {
    if (problems.has('images')) return [];
    if (values.layout === undefined && !problems.has('layout')) {
      problems.add('layout', "give the layout to push (the build step's `layout` output), or `images`");
    }
    if (values.image === undefined && !problems.has('image')) problems.add('image', 'is required with layout, e.g. myregistry.azurecr.io/team/api');
    if (values.layout === undefined || values.image === undefined) return [];
    const source = { label: 'image', name: values.image, layout: values.layout, tags: values.tags, digest: values.digest };
    return [{ ...source, inputOf: (field) => topLevelInputs[field] }];
  }
  const alsoGiven = (['layout', 'image', 'tags', 'digest'] as const).filter((name) => values[name] !== undefined && values[name]?.length !== 0);
  if (alsoGiven.length > 0) problems.add('images', `give either images (from build) or ${alsoGiven.join(', ')}, not both`);
  return parseImagesJson(values.images, context);
}

/** The `images` output of build: a JSON array of {name, layout, tags, digest?}; other keys (platforms) are ignored. */
function parseImagesJson(text: string, context: ValidationContext): PushSource[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    context.problems.add('images', 'is not JSON; pass the `images` output of build');
    return [];
  }
  if (!Array.isArray(document) || document.length === 0) {
    context.problems.add('images', 'must be a non-empty JSON array (the `images` output of build)');
    return [];
  }
  return document.flatMap((entry: unknown, index): PushSource[] => {
    const label = `images[${index}]`;
    const inputOf = (field: PushField) => `${label}.${field}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      context.problems.add(label, 'must be an object with name, layout and tags');
      return [];
    }
    const record = entry as Record<string, unknown>;
    const text = (field: PushField, value: unknown) => jsonText(value, inputOf(field), context);
    const name = text('name', record.name);
    const layout = text('layout', record.layout);
    const tags = Array.isArray(record.tags) ? record.tags.map((tag) => text('tags', tag)) : undefined;
    if (!tags) context.problems.add(inputOf('tags'), 'must be a list of strings');
    const digest = record.digest === undefined || record.digest === null ? undefined : text('digest', record.digest);
    if (name === undefined || layout === undefined || !tags || tags.some((tag) => tag === undefined)) return [];
    if (record.digest !== undefined && record.digest !== null && digest === undefined) return [];
    return [{ label, name, layout, tags: tags as string[], digest, inputOf }];
  });
}

/** A string of the `images` JSON: present, and one line (JSON escapes can hide "\n" or "\u0000"). */
function jsonText(value: unknown, input: string, context: ValidationContext): string | undefined {
  if (typeof value !== 'string') {
    context.problems.add(input, value === undefined ? 'is required' : `must be a string, not ${JSON.stringify(value)}`);
    return undefined;
  }
  const control = findControlCharacter(value);
  if (control) {
    context.problems.add(input, `must be a single line without control characters; found ${control}`);
    return undefined;
  }
  return value;
}

interface TargetCheckEnv {
  readonly context: ValidationContext;
  /** The `registry` input, replacing the host of every image name. */
  readonly registry: string | undefined;
}

/** Checks one image: its name, registry, tags, and that its layout holds the digest to push. */
async function checkTarget(source: PushSource, env: TargetCheckEnv): Promise<PushTargetImage> {
  const problems = env.context.problems;
  const parsed = parseImageName(source.name);
  if (!parsed) problems.add(source.inputOf('name'), `'${source.name}' is not a valid image name (lowercase repository, optional registry host, no tag)`);
  const registry = env.registry ?? parsed?.registry;
  if (parsed && !registry) {
    const input = source.label === 'image' ? 'registry' : source.inputOf('name');
    problems.add(input, `image '${source.name}' names no registry; add the host (myregistry.azurecr.io/${source.name}) or give registry`);
  }
  const tags = checkTags(source, env.context);
  const layout = checkReadPath({ input: source.inputOf('layout'), value: source.layout, kind: 'directory' }, env.context);
  let digest = source.digest;
  if (digest !== undefined && !isValidDigest(digest)) problems.add(source.inputOf('digest'), `'${digest}' is not a sha256 digest`);
  else if (!problems.has(source.inputOf('layout'))) digest = await checkLayoutDigest(layout, source, env.context);
  return { layout, digest, registry: registry ?? '', repository: parsed?.repository ?? '', tags };
}

/** Tags as plain tags; full references (as build outputs them) must name this image. */
function checkTags(source: PushSource, context: ValidationContext): string[] {
  const input = source.inputOf('tags');
  const tags = source.tags.flatMap((raw) => {
    const colon = raw.lastIndexOf(':');
    const isReference = colon > raw.lastIndexOf('/') && raw.includes('/');
    if (isReference && raw.slice(0, colon) !== source.name) {
      context.problems.add(input, `'${raw}' is a reference to another image than ${source.name}`);
      return [];
    }
    const tag = isReference ? raw.slice(colon + 1) : raw;
    if (!isValidTag(tag)) {
      context.problems.add(input, `'${tag}' is not a valid OCI tag`);
      return [];
    }
    return [tag];
  });
  if (source.tags.length === 0) context.problems.add(input, 'at least one tag is needed (an untagged image is invisible to most tools)');
  const duplicate = tags.find((tag, index) => tags.indexOf(tag) !== index);
  if (duplicate) context.problems.add(input, `tag '${duplicate}' is listed twice`);
  return tags;
}

/** The digest to push: the one given, if the layout holds it, or the layout's only image. */
async function checkLayoutDigest(layout: string, source: PushSource, context: ValidationContext): Promise<string | undefined> {
  const layoutInput = source.inputOf('layout');
  if (!existsSync(path.join(layout, 'oci-layout')) || !existsSync(path.join(layout, 'index.json'))) {
    context.problems.add(layoutInput, `${layout} is not an OCI image layout (no oci-layout/index.json)`, "pass the build step's `layout` output");
    return undefined;
  }
  let digests: string[];
  try {
    digests = [...new Set((await readOciLayoutIndex(layout)).map((entry) => entry.digest))];
  } catch (error) {
    if (!(error instanceof SlipwayError)) throw error;
    context.problems.add(layoutInput, error.message, error.hint);
    return undefined;
  }
  if (source.digest !== undefined) {
    if (!digests.includes(source.digest)) {
      context.problems.add(source.inputOf('digest'), `${layout} does not contain ${source.digest} (it holds ${digests.join(', ') || 'nothing'})`);
    }
    return source.digest;
  }
  if (digests.length !== 1) {
    context.problems.add(source.inputOf('digest'), `${layout} holds ${digests.length} images (${digests.join(', ') || 'none'}); choose one with digest`);
    return undefined;
  }
  return digests[0];
}

/** Two entries pushing the same registry/repository:tag would race, and the last one would win silently. */
function checkNoTagPushedTwice(images: readonly PushTargetImage[], context: ValidationContext): void {
  const seen = new Map<string, number>();
  images.forEach((image, index) => {
    if (!image.registry || !image.repository) return;
    for (const tag of image.tags) {
      const reference = `${image.registry}/${image.repository}:${tag}`;
      const first = seen.get(reference);
      if (first !== undefined && first !== index) context.problems.add(`images[${index}].tags`, `pushes ${reference} again (also images[${first}])`);
      seen.set(reference, index);
    }
  });
}

/** The retention pattern is checked whenever given, even with keep-tags 0: a typo must not wait for the day retention is on. */
function checkRetention(values: PushInputValues, context: ValidationContext): PushInputs['retention'] {
  let pattern: RegExp | undefined;
  try {
    pattern = new RegExp(values.keepTagsMatching);
  } catch (error) {
    context.problems.add('keep-tags-matching', `is not a regular expression: ${(error as Error).message}`);
  }
  if (values.keepTags === 0 || !pattern) return undefined;
  return { keep: values.keepTags, pattern, dryRun: values.retentionDryRun };
}
