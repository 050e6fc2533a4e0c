import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ParseError, SlipwayError } from '../errors/index.ts';
import { ExitCode } from '../errors/exit-codes.ts';
import { isValidDigest } from './reference.ts';

/** OCI image-spec media types this code understands. */
export const mediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface OciLayoutEntry extends Descriptor {
  /** org.opencontainers.image.ref.name, when the layout names this entry. */
  refName: string | undefined;
}

/** An OCI layout directory that is missing or broken. Exit 2: it is an input the user pointed at. */
export class LayoutError extends SlipwayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('OCI_LAYOUT_INVALID', message, ExitCode.invalidInput, {
      hint: 'point at a directory written by `slipway build` (or `buildah push ... oci:<dir>`)',
      cause: options.cause,
    });
  }
}

/** Lists the manifests a layout's index.json names. */
export async function readOciLayoutIndex(dir: string): Promise<OciLayoutEntry[]> {
  const marker = await readJson(path.join(dir, 'oci-layout'), 'oci-layout file');
  if (!isRecord(marker) || typeof marker.imageLayoutVersion !== 'string') {
    throw new LayoutError(`${dir}/oci-layout has no imageLayoutVersion`);
  }
  const index = await readJson(path.join(dir, 'index.json'), 'index.json');
  if (!isRecord(index) || !Array.isArray(index.manifests)) throw new LayoutError(`${dir}/index.json has no manifests list`);
  return index.manifests.map((entry, i) => {
    const descriptor = toDescriptor(entry, `${dir}/index.json manifests[${i}]`);
    return { ...descriptor, refName: descriptor.annotations?.['org.opencontainers.image.ref.name'] };
  });
}

/** Reads a blob and checks that its bytes hash to its digest. */
export async function readVerifiedBlob(dir: string, digest: string): Promise<Buffer> {
  if (!isValidDigest(digest)) throw new LayoutError(`unsupported digest ${digest}`);
  const file = path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new LayoutError(`blob ${digest} is missing from ${dir}`, { cause: error });
  }
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (actual !== digest) throw new LayoutError(`blob ${digest} in ${dir} is corrupt (its content hashes to ${actual})`);
  return bytes;
}

export interface ImageConfigSummary {
  /** The manifest this config belongs to. */
  manifestDigest: string;
  platform: string;
  labels: Record<string, string>;
}

/**
 * The config (labels, platform) of every image under `digest`: one for a manifest, one per entry for an
 * index. Each manifest and config blob is verified on the way.
 */
export async function readImageConfigs(dir: string, digest: string): Promise<ImageConfigSummary[]> {
  const manifest = parseJson(await readVerifiedBlob(dir, digest), `manifest ${digest}`);
  if (!isRecord(manifest)) throw new LayoutError(`manifest ${digest} is not a JSON object`);
  if (Array.isArray(manifest.manifests)) {
    const out: ImageConfigSummary[] = [];
    for (const [i, entry] of manifest.manifests.entries()) {
      const child = toDescriptor(entry, `index ${digest} manifests[${i}]`);
      // Attestation manifests (unknown/unknown) carry no image config worth reporting.
      if (child.platform?.os === 'unknown') continue;
      out.push(...(await readImageConfigs(dir, child.digest)));
    }
    return out;
  }
  const config = isRecord(manifest.config) ? toDescriptor(manifest.config, `manifest ${digest} config`) : undefined;
  if (!config) throw new LayoutError(`manifest ${digest} has no config descriptor`);
  const image = parseJson(await readVerifiedBlob(dir, config.digest), `config ${config.digest}`);
  if (!isRecord(image)) throw new LayoutError(`config ${config.digest} is not a JSON object`);
  const inner = isRecord(image.config) ? image.config : {};
  const labels = isRecord(inner.Labels) ? (inner.Labels as Record<string, string>) : {};
  const platform = [image.os, image.architecture, image.variant].filter((p) => typeof p === 'string' && p).join('/');
  return [{ manifestDigest: digest, platform, labels }];
}

function toDescriptor(value: unknown, where: string): Descriptor {
  if (!isRecord(value) || typeof value.mediaType !== 'string' || typeof value.digest !== 'string' || typeof value.size !== 'number') {
    throw new LayoutError(`${where} is not an OCI descriptor (mediaType, digest, size)`);
  }
  return value as unknown as Descriptor;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new LayoutError(`${what} not found at ${file}`, { cause: error });
  }
  return parseJson(Buffer.from(text), what);
}

function parseJson(bytes: Buffer, what: string): unknown {
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ParseError(what, text, { cause: error });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
