/**
 * OCI naming rules (distribution-spec "Pulling manifests": repository names and tags), checked before
 * anything runs so that a bad name fails as invalid input instead of half-way through a push.
 */
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const pathComponent = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const hostPattern = /^(?:localhost|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;

/**
 * DNS length limits (RFC 1035 2.3.4): labels of at most 63 characters, a name of at most 253; the port
 * is not counted, and a bracketed IPv6 address has no labels. The host patterns cannot say this, and a
 * longer "host" passed them and failed only when resolved (getaddrinfo EINVAL), as an unreachable registry.
 */
export function isWithinDnsLimits(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  if (name.startsWith('[')) return true;
  return name.length <= 253 && name.split('.').every((label) => label.length <= 63);
}

export function isValidTag(tag: string): boolean {
  return tagPattern.test(tag);
}

export function isValidRepository(repository: string): boolean {
  if (repository.length === 0 || repository.length > 255) return false;
  return repository.split('/').every((part) => pathComponent.test(part));
}

export interface ImageName {
  /** Registry host[:port], when the name has one. */
  registry?: string;
  repository: string;
}

/**
 * Splits `registry.example.com:5000/team/app` into host and repository. Like Docker, the first
 * component is a registry only when it has a dot, a port or is `localhost`.
 * Returns undefined when the name breaks the rules (including a tag or digest suffix).
 */
export function parseImageName(name: string): ImageName | undefined {
  const parts = name.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) {
    const repository = parts.slice(1).join('/');
    if (!hostPattern.test(first) || !isWithinDnsLimits(first) || !isValidRepository(repository)) return undefined;
    return { registry: first, repository };
  }
  return isValidRepository(name) ? { repository: name } : undefined;
}

/** `name:tag` for each tag. */
export function taggedReferences(name: string, tags: readonly string[]): string[] {
  return tags.map((tag) => `${name}:${tag}`);
}

/** A sha256 digest in OCI form. */
export function isValidDigest(digest: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(digest);
}

export interface ImageReference extends ImageName {
  tag?: string;
  digest?: string;
}

/** `registry/repo:tag`, `repo@sha256:...` or `repo:tag@sha256:...`; undefined when malformed. */
export function parseImageReference(reference: string): ImageReference | undefined {
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isValidDigest(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) return undefined;
  }
  const name = parseImageName(rest);
  if (!name) return undefined;
  return { ...name, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}
