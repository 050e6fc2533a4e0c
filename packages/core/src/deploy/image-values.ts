/** A part of the pinned image that image-values writes onto a value path. */
export type ImagePart = 'repository' | 'registry' | 'name' | 'tag' | 'digest' | 'tag@digest' | 'reference';

/** The image from push, pinned by digest. */
export interface PinnedImage {
  /** `registry/repo:tag@sha256:…` as given. */
  reference: string;
  registry: string | undefined;
  repository: string;
  tag: string | undefined;
  digest: string;
}

/**
 * The tag to put before `@digest` when the image has none: charts join `repository:tag`, and a
 * reference with both a tag and a digest is pulled by the digest (the tag is only a label), so any
 * valid tag works; one derived from the digest says which image it is.
 */
function tagFor(image: PinnedImage): string {
  return image.tag ?? `digest-${image.digest.slice('sha256:'.length, 'sha256:'.length + 12)}`;
}

/** One part of the pinned image, as image-values names it. */
export function imagePartValue(image: PinnedImage, part: ImagePart): string {
  switch (part) {
    case 'repository':
      return image.repository;
    case 'registry':
      return image.registry ?? '';
    case 'name':
      return image.registry ? image.repository.slice(image.registry.length + 1) : image.repository;
    case 'tag':
      return image.tag ?? '';
    case 'digest':
      return image.digest;
    case 'tag@digest':
      return `${tagFor(image)}@${image.digest}`;
    case 'reference':
      return `${image.repository}:${tagFor(image)}@${image.digest}`;
  }
}

/** `a.b[0].c` (with `\.` for a dot inside a key) as keys and list indexes. */
export function splitValuePath(valuePath: string): Array<string | number> {
  const segments: Array<string | number> = [];
  for (const raw of valuePath.split(/(?<!\\)\./)) {
    const match = /^(.*?)((?:\[\d+\])*)$/.exec(raw);
    const key = (match?.[1] ?? raw).replace(/\\\./g, '.');
    segments.push(key);
    for (const index of (match?.[2] ?? '').matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}

/**
 * The values that pin the image, as one object for a values file: written to a file rather than
 * `--set`, so a tag such as `1.10` stays the string it is (`--set` would make it the number 1.1).
 */
export function buildImageValues(image: PinnedImage, paths: ReadonlyArray<{ path: string; part: ImagePart }>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const { path: valuePath, part } of paths) {
    const segments = splitValuePath(valuePath);
    let node: Record<string | number, unknown> = root;
    segments.forEach((segment, index) => {
      if (index === segments.length - 1) {
        node[segment] = imagePartValue(image, part);
        return;
      }
      const next = segments[index + 1];
      const existing = node[segment];
      if (typeof existing !== 'object' || existing === null) node[segment] = typeof next === 'number' ? [] : {};
      node = node[segment] as Record<string | number, unknown>;
    });
  }
  return root;
}
