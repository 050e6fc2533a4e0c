import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CancelledError, SlipwayError, type SlipwayErrorOptions } from '../../errors/index.ts';
import { ExitCode } from '../../errors/exit-codes.ts';
import type { Trivy } from '../../tools/trivy.ts';

/** Trivy's DB schema version (trivy-db `db.SchemaVersion`); the `:2` tag of the DB repositories. */
const dbSchemaVersion = 2;

/** The vulnerability DB could not be had. Never a silent pass: exit 3 with how to fix it. */
export class TrivyDbError extends SlipwayError {
  constructor(message: string, options: SlipwayErrorOptions = {}) {
    super('TRIVY_DB_UNAVAILABLE', message, ExitCode.environment, options);
  }
}

export interface TrivyDbMetadata {
  version: number;
  updatedAt: Date | undefined;
  nextUpdate: Date | undefined;
}

export async function readTrivyDbMetadata(cacheDir: string): Promise<TrivyDbMetadata | undefined> {
  try {
    await stat(path.join(cacheDir, 'db', 'trivy.db'));
    const raw = JSON.parse(await readFile(path.join(cacheDir, 'db', 'metadata.json'), 'utf8')) as Record<string, unknown>;
    const date = (value: unknown) => (typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value) : undefined);
    return { version: Number(raw.Version), updatedAt: date(raw.UpdatedAt), nextUpdate: date(raw.NextUpdate) };
  } catch {
    return undefined;
  }
}

export interface DbSupplyOptions {
  cacheDir: string;
  /** Tried in order; each one `retries` times with exponential backoff. */
  repositories: readonly string[];
  retries: number;
  offline: boolean;
  /** A DB older than this is refused; 0 accepts any age. */
  maxAgeMs: number;
  insecureRegistry: boolean;
  now: Date;
  /** Downloads go through the Trivy adapter (flags matched to the installed version). */
  trivy: Pick<Trivy, 'downloadDb'>;
  sleep: (ms: number) => Promise<void>;
  log: { info(message: string): void; warning(message: string): void };
  /** First backoff delay; doubles per attempt. */
  backoffMs?: number;
  /** Extra environment for Trivy (registry CA, credentials). */
  env?: Record<string, string>;
}

export interface DbSupplyResult {
  source: 'cache' | string;
  metadata: TrivyDbMetadata;
}

/**
 * Makes sure a usable DB is in the cache dir: reuse a fresh one, else try each repository (mirror) with
 * retries, else fall back to a cached DB within max age, else fail loudly. The ghcr.io rate limit
 * (TOOMANYREQUESTS, aquasecurity/trivy-action#389) is exactly what the retries and mirrors are for.
 */
export async function ensureTrivyDb(options: DbSupplyOptions): Promise<DbSupplyResult> {
  const cached = await readTrivyDbMetadata(options.cacheDir);
  const usable = cached && cached.version === dbSchemaVersion ? cached : undefined;
  const tooOld = (metadata: TrivyDbMetadata) =>
    options.maxAgeMs > 0 && metadata.updatedAt !== undefined && options.now.getTime() - metadata.updatedAt.getTime() > options.maxAgeMs;

  if (options.offline) {
    if (!usable) {
      throw new TrivyDbError(`offline mode and no Trivy DB (schema ${dbSchemaVersion}) in ${options.cacheDir}`, {
        hint: `provision it first (trivy image --download-db-only --cache-dir ${options.cacheDir}) on a connected machine, or set offline: false`,
      });
    }
    if (tooOld(usable)) {
      throw new TrivyDbError(`the offline Trivy DB in ${options.cacheDir} was updated ${usable.updatedAt?.toISOString()}, older than db-max-age`, {
        hint: 'refresh the pre-provisioned DB, or raise db-max-age (0 accepts any age)',
      });
    }
    return { source: 'cache', metadata: usable };
  }

  if (usable?.nextUpdate && usable.nextUpdate.getTime() > options.now.getTime()) {
    options.log.info(`Trivy DB in ${options.cacheDir} is current (next update ${usable.nextUpdate.toISOString()})`);
    return { source: 'cache', metadata: usable };
  }

  const failures: string[] = [];
  const backoff = options.backoffMs ?? 2_000;
  // Downloads land in a staging dir first, so a failed or partial download never damages the cached DB.
  const staging = path.join(options.cacheDir, '.slipway-db-staging');
  try {
    for (const repository of options.repositories) {
      for (let attempt = 1; attempt <= options.retries; attempt++) {
        try {
          options.log.info(`downloading the Trivy DB from ${repository} (attempt ${attempt}/${options.retries})`);
          await rm(staging, { recursive: true, force: true });
          await mkdir(staging, { recursive: true });
          await options.trivy.downloadDb(staging, repository, { insecureRegistry: options.insecureRegistry, ...(options.env ? { env: options.env } : {}) });
          const metadata = await readTrivyDbMetadata(staging);
          if (!metadata) throw new TrivyDbError(`trivy reported success but left no DB in ${staging}`);
          await rm(path.join(options.cacheDir, 'db'), { recursive: true, force: true });
          await rename(path.join(staging, 'db'), path.join(options.cacheDir, 'db'));
          return { source: repository, metadata };
        } catch (error) {
          // Cancellation is not a mirror failure: stop at once instead of trying the next one.
          if (error instanceof CancelledError) throw error;
          const reason = error instanceof Error ? error.message.split('\n').slice(-1)[0] : String(error);
          failures.push(`${repository} #${attempt}: ${reason}`);
          options.log.warning(`Trivy DB download from ${repository} failed (attempt ${attempt}/${options.retries}): ${reason}`);
          if (attempt < options.retries) await options.sleep(backoff * 2 ** (attempt - 1));
        }
      }
    }
  } finally {
    // Whatever happened, no partial download lingers in the user's cache dir.
    await rm(staging, { recursive: true, force: true });
  }

  if (usable && !tooOld(usable)) {
    options.log.warning(`every DB repository failed; scanning with the cached DB from ${usable.updatedAt?.toISOString() ?? 'an unknown date'}`);
    return { source: 'cache', metadata: usable };
  }
  throw new TrivyDbError(`could not obtain the Trivy vulnerability DB:\n${failures.join('\n')}`, {
    hint: 'add a reachable mirror to db-repositories (e.g. your ACR with the DB pushed as an OCI artifact), raise db-retries, or pre-provision the DB and set offline: true',
  });
}
