import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { LayoutError, mediaTypes, readVerifiedBlob, type Descriptor } from './oci-layout.ts';

/** A manifest or index as stored in the layout, with the bytes that must be pushed unchanged. */
export interface LayoutManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  /** Manifests an index points at (pushed first, by digest). */
  children: LayoutManifest[];
  /** Config and layers of an image manifest. */
  blobs: Descriptor[];
}

/** Reads the manifest tree under `digest`, verifying every manifest's bytes on the way. */
export async function readManifestTree(layout: string, digest: string, mediaTypeHint?: string): Promise<LayoutManifest> {
  const bytes = await readVerifiedBlob(layout, digest);
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new LayoutError(`manifest ${digest} in ${layout} is not JSON`, { cause: error });
  }
  const mediaType = typeof document.mediaType === 'string' ? document.mediaType : mediaTypeHint;
  if (Array.isArray(document.manifests)) {
    const children: LayoutManifest[] = [];
    for (const child of document.manifests as Descriptor[]) children.push(await readManifestTree(layout, child.digest, child.mediaType));
    return { digest, mediaType: mediaType ?? mediaTypes.ociIndex, bytes, children, blobs: [] };
  }
  const config = document.config as Descriptor | undefined;
  const layers = (document.layers as Descriptor[] | undefined) ?? [];
  if (!config) throw new LayoutError(`manifest ${digest} in ${layout} has no config`);
  return { digest, mediaType: mediaType ?? mediaTypes.ociManifest, bytes, children: [], blobs: [config, ...layers] };
}

/** Every blob of the tree once, in push order (children's blobs first). */
export function uniqueBlobs(tree: LayoutManifest): Descriptor[] {
  const seen = new Map<string, Descriptor>();
  const visit = (node: LayoutManifest) => {
    node.children.forEach(visit);
    for (const blob of node.blobs) if (!seen.has(blob.digest)) seen.set(blob.digest, blob);
  };
  visit(tree);
  return [...seen.values()];
}

export function blobPath(layout: string, digest: string): string {
  return path.join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

/**
 * Checks that every blob file exists with the size and sha256 its descriptor states, so a corrupt
 * layout is refused as invalid input before anything is uploaded.
 */
export async function verifyLayoutBlobs(layout: string, blobs: readonly Descriptor[]): Promise<void> {
  for (const blob of blobs) {
    const file = blobPath(layout, blob.digest);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (error) {
      throw new LayoutError(`blob ${blob.digest} is missing from ${layout}`, { cause: error });
    }
    if (size !== blob.size) throw new LayoutError(`blob ${blob.digest} in ${layout} has ${size} bytes, its descriptor says ${blob.size}`);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== blob.digest) throw new LayoutError(`blob ${blob.digest} in ${layout} is corrupt (its content hashes to ${actual})`);
  }
}
