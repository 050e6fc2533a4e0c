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
