import { parseImageName, parseImageReference } from '../../oci/reference.ts';
import type { BuilderChoice } from './build-inputs.ts';

/** `cache-from` reads a cache, `cache-to` writes one; a few forms only make sense one way. */
export type CacheDirection = 'from' | 'to';

/**
 * buildx cache backends (docs.docker.com/build/cache/backends) and the keys each one cannot do without.
 * `inline` embeds the cache in the image, so it is only a destination.
 */
const buildxBackends: Readonly<Record<string, { from: readonly string[]; to: readonly string[] } | undefined>> = {
  registry: { from: ['ref'], to: ['ref'] },
  local: { from: ['src'], to: ['dest'] },
  gha: { from: [], to: [] },
  inline: undefined,
  s3: { from: ['bucket', 'region'], to: ['bucket', 'region'] },
  azblob: { from: ['name'], to: ['name'] },
};

/**
 * Why `value` is not a `cache-from`/`cache-to` entry the builder accepts, or undefined when it is. The
 * value becomes one argv element after `--cache-from`, so a value that looks like an option
 * (`--authfile=/etc/passwd`) is refused before anything else.
 *
 * - buildah takes a repository (`--cache-from` "is only ever interpreted as a repository name", buildah
 *   discussion #6657); `type=registry,ref=<repository>` is accepted and reduced to the repository.
 * - buildx takes an image reference (shorthand for `type=registry,ref=…`) or `type=<backend>,key=value,…`
 *   with a known backend and its required keys.
 * - `auto` accepts either, since the builder is only known at run time.
 */
export function checkCacheEntry(value: string, options: { direction: CacheDirection; builder: BuilderChoice }): string | undefined {
  if (value.startsWith('-')) return `'${value}' starts with '-', which the builder would read as an option`;
  if (/\s/.test(value)) return `'${value}' contains white space`;
  const buildah = options.builder === 'buildah';
  if (!value.includes('=')) {
    if (buildah ? parseImageName(value) : parseImageReference(value)) return undefined;
    return `'${value}' is not ${buildah ? 'a repository such as myregistry.azurecr.io/team/api-cache' : 'an image reference, or type=<backend>,…'}`;
  }
  const fields = new Map<string, string>();
  for (const pair of value.split(',')) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : '';
    if (!/^[a-z][a-z0-9_-]*$/.test(key)) return `'${value}': ${JSON.stringify(pair)} is not key=value`;
    if (fields.has(key)) return `'${value}': '${key}' is given twice`;
    fields.set(key, pair.slice(eq + 1));
  }
  const type = fields.get('type');
  if (type === undefined) return `'${value}' has no type= (e.g. type=registry,ref=myregistry.azurecr.io/team/api-cache)`;
  if (buildah) {
    if (type !== 'registry') return `'${value}': buildah only uses registry caches (a repository, or type=registry,ref=<repository>)`;
    return parseImageName(fields.get('ref') ?? '') ? undefined : `'${value}': ref must be a repository without tag, for buildah`;
  }
  if (!Object.hasOwn(buildxBackends, type)) return `'${value}': unknown cache type '${type}' (known: ${Object.keys(buildxBackends).join(', ')})`;
  const backend = buildxBackends[type];
  if (!backend) return options.direction === 'to' ? undefined : `'${value}': type=${type} is only a cache-to destination`;
  const missing = backend[options.direction].filter((key) => !fields.get(key));
  if (missing.length > 0) return `'${value}': type=${type} needs ${missing.map((key) => `${key}=`).join(' and ')}`;
  if (type === 'registry' && !parseImageReference(fields.get('ref') ?? '')) return `'${value}': ref is not an image reference`;
  return undefined;
}
