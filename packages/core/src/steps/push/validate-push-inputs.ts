import { existsSync } from 'node:fs';
import path from 'node:path';
import { validateAzureAuth } from '../../azure/azure-auth-inputs.ts';
import { InputError } from '../../errors/index.ts';
import type { InputValues } from '../../inputs/index.ts';
import { isValidDigest, isValidTag, parseImageName } from '../../oci/reference.ts';
import type { ValidationContext } from '../framework/validation-context.ts';
import type { PushInputs, PushTargetImage } from './push-inputs.ts';
import type { pushSpec } from './push-spec.ts';

export type PushInputValues = InputValues<typeof pushSpec.inputs>;

const registryHost = /^(?:localhost|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::\d{1,5})?$/;

/** Checks every push input before any upload. */
export function validatePushInputs(values: PushInputValues, context: ValidationContext): PushInputs {
  const resolve = (file: string) => path.resolve(context.workspace, file);
  if (values.registry !== undefined && !registryHost.test(values.registry)) {
    throw new InputError('registry', `'${values.registry}' is not a registry host such as myregistry.azurecr.io`);
  }
  let images: PushTargetImage[];
  if (values.images !== undefined) {
    if (values.layout !== undefined || values.image !== undefined) throw new InputError('images', 'give either images (from build) or layout and image, not both');
    images = parseBuildImages(values.images).map((entry, index) => toTarget(`images[${index}]`, entry.layout, entry.name, entry.tags, entry.digest, values.registry, resolve));
  } else {
    if (values.layout === undefined) throw new InputError('layout', 'give the layout to push (the build step\'s `layout` output), or `images`');
    if (values.image === undefined) throw new InputError('image', 'is required with layout, e.g. myregistry.azurecr.io/team/api');
    images = [toTarget('image', values.layout, values.image, values.tags, values.digest, values.registry, resolve)];
  }
  const auth = validateAzureAuth(values, resolve, existsSync);
  let retention: PushInputs['retention'];
  if (values.keepTags > 0) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(values.keepTagsMatching);
    } catch (error) {
      throw new InputError('keep-tags-matching', `is not a regular expression: ${(error as Error).message}`);
    }
    retention = { keep: values.keepTags, pattern, dryRun: values.retentionDryRun };
  }
  return { images, auth, attempts: values.attempts, retention };
}

interface BuildImageEntry {
  name: string;
  layout: string;
  tags: string[];
  digest: string | undefined;
}

function parseBuildImages(text: string): BuildImageEntry[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new InputError('images', 'is not JSON; pass the `images` output of build', { cause: error });
  }
  if (!Array.isArray(document) || document.length === 0) throw new InputError('images', 'must be a non-empty JSON array (the `images` output of build)');
  return document.map((entry: unknown, index) => {
    const record = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof record.name !== 'string' || typeof record.layout !== 'string' || !Array.isArray(record.tags)) {
      throw new InputError(`images[${index}]`, 'needs name, layout and tags');
    }
    return { name: record.name, layout: record.layout, tags: record.tags.map(String), digest: typeof record.digest === 'string' ? record.digest : undefined };
  });
}

function toTarget(
  input: string,
  layoutInput: string,
  name: string,
  rawTags: readonly string[],
  digest: string | undefined,
  registryOverride: string | undefined,
  resolve: (file: string) => string,
): PushTargetImage {
  const parsed = parseImageName(name);
  if (!parsed) throw new InputError(input, `'${name}' is not a valid image name (lowercase repository, optional registry host, no tag)`);
  const registry = registryOverride ?? parsed.registry;
  if (!registry) throw new InputError(input === 'image' ? 'registry' : input, `'${name}' names no registry; add the host (myregistry.azurecr.io/${name}) or give registry`);
  const layout = resolve(layoutInput);
  if (!existsSync(path.join(layout, 'oci-layout')) || !existsSync(path.join(layout, 'index.json'))) {
    throw new InputError(input === 'image' ? 'layout' : input, `${layout} is not an OCI image layout (no oci-layout/index.json)`);
  }
  if (digest !== undefined && !isValidDigest(digest)) throw new InputError(input === 'image' ? 'digest' : input, `'${digest}' is not a sha256 digest`);
  const tags = rawTags.map((raw) => {
    const colon = raw.lastIndexOf(':');
    const isReference = colon > raw.lastIndexOf('/') && raw.includes('/');
    if (isReference && raw.slice(0, colon) !== name) {
      throw new InputError(input === 'image' ? 'tags' : input, `'${raw}' is a reference to another image than ${name}`);
    }
    const tag = isReference ? raw.slice(colon + 1) : raw;
    if (!isValidTag(tag)) throw new InputError(input === 'image' ? 'tags' : input, `'${tag}' is not a valid OCI tag`);
    return tag;
  });
  if (tags.length === 0) throw new InputError(input === 'image' ? 'tags' : input, 'at least one tag is needed (an untagged image is invisible to most tools)');
  const duplicate = tags.find((tag, index) => tags.indexOf(tag) !== index);
  if (duplicate) throw new InputError(input === 'image' ? 'tags' : input, `tag '${duplicate}' is listed twice`);
  return { layout, digest, registry, repository: parsed.repository, tags };
}
