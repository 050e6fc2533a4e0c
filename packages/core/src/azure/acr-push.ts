import { createReadStream } from 'node:fs';
import { ContainerRegistryContentClient } from '@azure/container-registry';
import type { TokenCredential } from '@azure/identity';
import { RegistryError, SlipwayError } from '../errors/index.ts';
import { blobPath, readManifestTree, uniqueBlobs, verifyLayoutBlobs, type LayoutManifest } from '../oci/layout-blobs.ts';
import type { Descriptor } from '../oci/oci-layout.ts';
import { explainAuthError, type PresentedAssertion } from './explain-auth-error.ts';

export interface RegistryTarget {
  /** https://<login server>[:port] */
  endpoint: string;
  repository: string;
  /** Token audience for ACR's exchange (differs in sovereign clouds). */
  audience: string;
}

export interface PushImageOptions {
  layout: string;
  digest: string;
  target: RegistryTarget;
  tags: readonly string[];
  credential: TokenCredential;
  /** Whole-blob attempts: a connection reset mid-blob restarts that blob's upload session. */
  attempts: number;
  sleep: (ms: number) => Promise<void>;
  log: { info(message: string): void; warning(message: string): void };
  signal?: AbortSignal;
  /** The last federated assertion presented, for auth error hints. */
  lastAssertion?: () => PresentedAssertion | undefined;
  backoffMs?: number;
}

export interface PushImageResult {
  digest: string;
  tags: string[];
  bytesUploaded: number;
  blobsUploaded: number;
  blobsSkipped: number;
}

/**
 * Pushes an image from an OCI layout with the ACR content client: blobs the registry has are skipped,
 * the manifest (and an index's children) go up by digest, and only then are tags applied — so a failure
 * at any point leaves no tag pointing at an incomplete image. Every tag is read back and compared.
 */
export async function pushImage(options: PushImageOptions): Promise<PushImageResult> {
  const client = new ContainerRegistryContentClient(options.target.endpoint, options.target.repository, options.credential, {
    audience: options.target.audience,
    retryOptions: { maxRetries: 4, retryDelayInMs: 500, maxRetryDelayInMs: 8_000 },
  });
  const guard = <T>(action: string, fn: () => Promise<T>) => withRegistryErrors(action, fn, options.lastAssertion);
  const tree = await readManifestTree(options.layout, options.digest);
  const blobs = uniqueBlobs(tree);
  await verifyLayoutBlobs(options.layout, blobs);

  let bytesUploaded = 0;
  let blobsUploaded = 0;
  let blobsSkipped = 0;
  for (const blob of blobs) {
    if (await guard(`checking ${blob.digest}`, () => blobExists(client, options.target.repository, blob.digest, options.signal))) {
      blobsSkipped++;
      continue;
    }
    await withRetries(`uploading ${blob.digest}`, options, () =>
      guard(`uploading ${blob.digest}`, () => uploadOne(client, options.layout, blob, options.signal)),
    );
    bytesUploaded += blob.size;
    blobsUploaded++;
  }
  options.log.info(`blobs: ${blobsUploaded} uploaded (${bytesUploaded} bytes), ${blobsSkipped} already in the registry`);

  await pushManifest(client, tree, undefined, guard, options);
  for (const tag of options.tags) await pushManifest(client, tree, tag, guard, options, false);

  for (const reference of [options.digest, ...options.tags]) {
    const read = await guard(`reading back ${reference}`, () => client.getManifest(reference, { abortSignal: options.signal }));
    if (read.digest !== options.digest) {
      throw new RegistryError(`${options.target.repository}:${reference} resolves to ${read.digest}, not the pushed ${options.digest}`, {
        code: 'PUSH_DIGEST_MISMATCH',
      });
    }
  }
  return { digest: options.digest, tags: [...options.tags], bytesUploaded, blobsUploaded, blobsSkipped };
}

async function pushManifest(
  client: ContainerRegistryContentClient,
  node: LayoutManifest,
  tag: string | undefined,
  guard: <T>(action: string, fn: () => Promise<T>) => Promise<T>,
  options: PushImageOptions,
  withChildren = true,
): Promise<void> {
  if (withChildren) for (const child of node.children) await pushManifest(client, child, undefined, guard, options);
  const reference = tag ?? node.digest;
  const result = await withRetries(`putting manifest ${reference}`, options, () =>
    guard(`putting manifest ${reference}`, () => client.setManifest(node.bytes, { tag: reference, mediaType: node.mediaType, abortSignal: options.signal })),
  );
  if (result.digest !== node.digest) {
    throw new RegistryError(`the registry stored manifest ${reference} as ${result.digest}, expected ${node.digest}`, { code: 'PUSH_DIGEST_MISMATCH' });
  }
}

async function uploadOne(client: ContainerRegistryContentClient, layout: string, blob: Descriptor, signal: AbortSignal | undefined): Promise<void> {
  const result = await client.uploadBlob(createReadStream(blobPath(layout, blob.digest)), { abortSignal: signal });
  if (result.digest !== blob.digest) {
    throw new RegistryError(`uploaded ${blob.digest} but the bytes hash to ${result.digest}`, { code: 'PUSH_DIGEST_MISMATCH' });
  }
}

/**
 * HEAD /v2/<name>/blobs/<digest>. The content client has no public call for it; its generated client
 * does (`checkBlobExists`), reached here so already-present layers are never uploaded again. If a future
 * SDK moves it, every blob is simply uploaded (correct, only slower).
 */
async function blobExists(client: ContainerRegistryContentClient, repository: string, digest: string, signal: AbortSignal | undefined): Promise<boolean> {
  const generated = (
    client as unknown as { client?: { containerRegistryBlob?: { checkBlobExists?: (name: string, digest: string, options?: object) => Promise<unknown> } } }
  ).client;
  const check = generated?.containerRegistryBlob?.checkBlobExists;
  if (!check) return false;
  try {
    await check.call(generated.containerRegistryBlob, repository, digest, { abortSignal: signal });
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

const transientStatus = new Set([408, 429, 500, 502, 503, 504]);
const transientCodes = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'UND_ERR_SOCKET', 'REQUEST_SEND_ERROR']);

function isTransient(error: unknown): boolean {
  const cause = error instanceof SlipwayError ? error.cause : error;
  const status = (cause as { statusCode?: number }).statusCode;
  const code = (cause as { code?: string }).code;
  return (status !== undefined && transientStatus.has(status)) || (code !== undefined && transientCodes.has(code));
}

async function withRetries<T>(action: string, options: PushImageOptions, fn: () => Promise<T>): Promise<T> {
  const backoff = options.backoffMs ?? 1_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= options.attempts || !isTransient(error)) throw error;
      options.log.warning(`${action} failed (${(error as Error).message.split('\n')[0]}); retrying (${attempt}/${options.attempts - 1})`);
      await options.sleep(backoff * 2 ** (attempt - 1));
    }
  }
}

/** Runs a registry call, turning auth failures into exit-3 errors with the Entra/ACR code and fix. */
export async function withRegistryErrors<T>(
  action: string,
  fn: () => Promise<T>,
  lastAssertion: (() => PresentedAssertion | undefined) | undefined,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof SlipwayError) throw error;
    const name = (error as { name?: string }).name;
    const status = (error as { statusCode?: number }).statusCode;
    const message = error instanceof Error ? error.message : String(error);
    const authFailure = ['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError'].includes(name ?? '') || /AADSTS\d+/.test(message);
    if (authFailure || status === 401 || status === 403) {
      throw explainAuthError(error, { action, assertion: lastAssertion?.() });
    }
    throw new RegistryError(`${action}: ${(error as Error).message?.split('\n')[0] ?? String(error)}`, {
      cause: error,
      hint: 'the registry failed or is unreachable; retry, or check the registry name',
    });
  }
}
