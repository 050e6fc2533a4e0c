import { timeLimit } from '../concurrency/time-limit.ts';
import type * as k8s from '@kubernetes/client-node';
import { errorCodes, InputError, InternalError, SlipwayError } from '../errors/index.ts';
import type { KubeApi } from './kube-api.ts';
import { KubeApiError } from './kube-api-error.ts';

/** What the lease and the journal need of a KubeApi: its {@link KubeApi.request} (a fake in unit tests). */
export type ReleaseObjectsApi = Pick<KubeApi, 'request'>;

/** Who deploys: written into the Lease so that a waiting run (or a human) can tell who holds the release. */
export interface LeaseHolderIdentity {
  /**
   * The Lease's holderIdentity: one deploy, unique across concurrent jobs (e.g. run id, attempt and job),
   * since a run that finds its own runId on the Lease takes it as its own.
   */
  runId: string;
  /** `github`, `azure-pipelines` or `cli`. */
  host: string;
  /** The run's page, when the host has one. */
  runUrl?: string | undefined;
  /** The runner or agent machine's name. */
  machine: string;
}

/** A Lease's holder as read from the cluster. */
export interface LeaseHolderInfo extends LeaseHolderIdentity {
  /** When the holder acquired it (ISO, the Lease's acquireTime). */
  since: string;
  /** When the holder last renewed it (ISO, the Lease's renewTime). */
  renewedAt: string;
  durationSeconds: number;
  /** Renewed less than durationSeconds ago (by the given clock): the holder is alive. */
  live: boolean;
}

/** Labels of every object Slipway keeps for a release (Lease, journal). */
export function releaseObjectLabels(release: string): Record<string, string> {
  return { 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/release': release };
}

/** True when an object carries `app.kubernetes.io/managed-by: slipway`. */
export function isManagedBySlipway(metadata: k8s.V1ObjectMeta | undefined): boolean {
  return metadata?.labels?.['app.kubernetes.io/managed-by'] === 'slipway';
}

/** Helm's rule for release names (a DNS-1123 subdomain of at most 53 characters), so that derived object names and label values are valid. */
export function checkReleaseName(release: string): void {
  if (release.length === 0 || release.length > 53 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(release)) {
    throw new InputError('release', `'${release}' is not a Helm release name`, {
      hint: 'use at most 53 lower-case letters, digits, - and ., starting and ending with a letter or digit',
    });
  }
}

/** `slipway-release-<release>`. */
export function releaseLeaseName(release: string): string {
  return `slipway-release-${release}`;
}

const annotationKeys = { host: 'slipway.dev/host', machine: 'slipway.dev/machine', runUrl: 'slipway.dev/run-url' } as const;

/**
 * A Lease's acquireTime and renewTime are MicroTime, which kube-apiserver parses with exactly six fractional
 * digits: a plain Date (`toISOString()`, three digits) is refused with 400 ("cannot parse ".873Z" as
 * ".000000""). client-node serialises a V1MicroTime (a Date) through its own toJSON, so this one says micro.
 * Read back, client-node leaves MicroTime fields as the server's strings, whatever their type claims.
 */
class MicroTime extends Date {
  override toISOString(): string {
    return `${super.toISOString().slice(0, -1)}000Z`;
  }
}

/** A MicroTime field as client-node hands it over: a string (what it really does) or a Date. */
function timeOf(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Who holds `lease`, or undefined when nobody does (no holderIdentity). */
export function leaseHolderInfo(lease: k8s.V1Lease, now: Date): LeaseHolderInfo | undefined {
  const spec = lease.spec;
  const runId = spec?.holderIdentity;
  if (!runId) return undefined;
  const annotations = lease.metadata?.annotations ?? {};
  const durationSeconds = spec.leaseDurationSeconds ?? 0;
  const renewed = timeOf(spec.renewTime) ?? timeOf(spec.acquireTime);
  const since = timeOf(spec.acquireTime) ?? renewed;
  const runUrl = annotations[annotationKeys.runUrl];
  return {
    runId,
    host: annotations[annotationKeys.host] ?? 'unknown',
    ...(runUrl ? { runUrl } : {}),
    machine: annotations[annotationKeys.machine] ?? 'unknown',
    since: since?.toISOString() ?? '',
    renewedAt: renewed?.toISOString() ?? '',
    durationSeconds,
    live: renewed !== undefined && renewed.getTime() + durationSeconds * 1000 > now.getTime(),
  };
}

/** `run https://github.com/o/r/actions/runs/1 (1-1) on machine fv-az12 (github)`. */
export function describeLeaseHolder(holder: LeaseHolderIdentity): string {
  const run = holder.runUrl ? `${holder.runUrl} (${holder.runId})` : holder.runId;
  return `run ${run} on machine ${holder.machine} (${holder.host})`;
}

/** Another run holds the release's Lease and kept it for as long as this run would wait (exit 3). */
export class ReleaseLockedError extends SlipwayError {
  readonly holder: LeaseHolderInfo;
  readonly waitedMs: number;

  constructor(where: { namespace: string; release: string }, holder: LeaseHolderInfo, waitedMs: number, options: { cause?: unknown } = {}) {
    const waited = waitedMs > 0 ? `; waited ${Math.round(waitedMs / 1000)} s for it` : '; not waiting for it (wait 0)';
    const renewed = Date.parse(holder.renewedAt);
    const expires = Number.isNaN(renewed) ? 'unknown' : new Date(renewed + holder.durationSeconds * 1000).toISOString();
    super(
      'RELEASE_LOCKED',
      `release '${where.release}' in namespace '${where.namespace}' is being deployed by another ${describeLeaseHolder(holder)}, since ${holder.since}${waited}`,
      errorCodes.RELEASE_LOCKED.exitCode,
      {
        hint: `run again once that run has finished, or wait longer for it; if that run is dead, its Lease ${releaseLeaseName(where.release)} expires ${holder.durationSeconds} s after its last renewal (at ${expires} unless renewed) and the next run takes it over`,
        cause: options.cause,
      },
    );
    this.holder = holder;
    this.waitedMs = waitedMs;
  }
}

/** This run no longer holds its release's Lease: another run may be deploying the release (exit 3). */
export class ReleaseLeaseLostError extends SlipwayError {
  /** The new holder, when one was seen. */
  readonly holder: LeaseHolderInfo | undefined;

  constructor(where: { namespace: string; release: string }, why: string, holder: LeaseHolderInfo | undefined, options: { cause?: unknown } = {}) {
    super(
      'RELEASE_LEASE_LOST',
      `lost the Lease ${releaseLeaseName(where.release)} in namespace '${where.namespace}': ${why}`,
      errorCodes.RELEASE_LEASE_LOST.exitCode,
      {
        hint: 'another run may be deploying this release: change nothing more, and look at that run and the release before deploying again',
        cause: options.cause,
      },
    );
    this.holder = holder;
  }
}

export interface AcquireReleaseLeaseOptions {
  namespace: string;
  release: string;
  holder: LeaseHolderIdentity;
  /** How long the Lease lasts without renewal (default 30): a dead run's Lease is taken over after this. */
  durationSeconds?: number;
  /** How long to wait for another run's Lease; 0 fails at once. */
  waitMs: number;
  /** How often to look again while waiting (default 2000). */
  pollIntervalMs?: number;
  now: () => Date;
  /** Waits between looks; may reject to stop waiting (a cancelled run). */
  sleep: (ms: number) => Promise<void>;
  log: (message: string) => void;
}

/** A Lease this run holds, renewed in the background until {@link release} is called. */
export interface ReleaseLease {
  /** The Lease's name, `slipway-release-<release>`. */
  readonly name: string;
  /** This run, as the Lease names it now. */
  readonly holder: LeaseHolderInfo;
  /**
   * Resolves (never rejects) with a ReleaseLeaseLostError when the Lease stops being this run's: another
   * run took it over, it was deleted, or renewing it failed for longer than it lasts. Stays pending
   * otherwise, and after release().
   */
  readonly lost: Promise<Error>;
  /**
   * Stops renewing and deletes the Lease if it is still this run's (by uid and resourceVersion, so never
   * another run's). Renewal and release never use the run's cancel signal: a cancelled run keeps its Lease
   * while it rolls back. `signal` (default: none) cancels the release itself. Idempotent.
   */
  release(signal?: AbortSignal): Promise<void>;
}

const hasStatus = (error: unknown, status: number): boolean => error instanceof KubeApiError && error.status === status;

async function readLease(api: ReleaseObjectsApi, namespace: string, name: string, signal?: AbortSignal): Promise<k8s.V1Lease | undefined> {
  try {
    return await api.request(`GET lease ${name} in namespace ${namespace}`, (c, o) => c.coordination.readNamespacedLease({ name, namespace }, o), signal);
  } catch (error) {
    if (hasStatus(error, 404)) return undefined;
    throw error;
  }
}

/** The holder's Lease object, new (`previous` undefined) or replacing `previous` at its resourceVersion. */
function leaseBody(options: AcquireReleaseLeaseOptions, durationSeconds: number, now: Date, previous: k8s.V1Lease | undefined): k8s.V1Lease {
  const name = releaseLeaseName(options.release);
  const ours = previous?.spec?.holderIdentity === options.holder.runId;
  const transitions = previous?.spec?.leaseTransitions ?? 0;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace: options.namespace,
      ...(previous?.metadata?.resourceVersion ? { resourceVersion: previous.metadata.resourceVersion } : {}),
      labels: { ...previous?.metadata?.labels, ...releaseObjectLabels(options.release) },
      annotations: {
        [annotationKeys.host]: options.holder.host,
        [annotationKeys.machine]: options.holder.machine,
        ...(options.holder.runUrl ? { [annotationKeys.runUrl]: options.holder.runUrl } : {}),
      },
    },
    spec: {
      holderIdentity: options.holder.runId,
      leaseDurationSeconds: durationSeconds,
      acquireTime: ours ? new MicroTime(timeOf(previous?.spec?.acquireTime) ?? now) : new MicroTime(now),
      renewTime: new MicroTime(now),
      // Counted as client-go's leader election counts: once per change of holder, not on the first acquire.
      leaseTransitions: previous && !ours && previous.spec?.holderIdentity ? transitions + 1 : transitions,
    },
  };
}

/**
 * Takes the release's Lease (coordination.k8s.io/v1, `slipway-release-<release>`) so that no other run deploys
 * the release at the same time: creates it; takes it when this run already holds it, when nobody does,
 * or when its holder stopped renewing it for its duration (a dead run); otherwise waits for it up to
 * `waitMs`, looking again every `pollIntervalMs`, and throws ReleaseLockedError naming the holder.
 * Every write carries the resourceVersion it read, so of two runs taking over one Lease only one wins.
 * Expiry is judged like client-go's leader election does, too: a Lease unchanged for its whole duration
 * on this run's clock is expired, whatever its renewTime says (a holder whose clock runs ahead).
 */
export async function acquireReleaseLease(api: ReleaseObjectsApi, options: AcquireReleaseLeaseOptions): Promise<ReleaseLease> {
  checkReleaseName(options.release);
  const durationSeconds = options.durationSeconds ?? 30;
  if (!Number.isInteger(durationSeconds) || durationSeconds < 1) throw new InternalError(`a Lease lasts a whole number of seconds, not ${durationSeconds}`);
  const { namespace } = options;
  const name = releaseLeaseName(options.release);
  const pollMs = options.pollIntervalMs ?? 2000;
  const started = options.now().getTime();
  let logged: string | undefined;
  let observed: { resourceVersion: string; at: number } | undefined;
  for (;;) {
    const now = options.now();
    try {
      const created = await api.request(`POST lease ${name} in namespace ${namespace}`, (c, o) =>
        c.coordination.createNamespacedLease({ namespace, body: leaseBody(options, durationSeconds, now, undefined) }, o),
      );
      if (logged) options.log(`release lock: acquired ${name} after waiting ${Math.round((now.getTime() - started) / 1000)} s`);
      return new HeldReleaseLease(api, options, durationSeconds, created);
    } catch (error) {
      if (!hasStatus(error, 409)) throw error;
    }
    const current = await readLease(api, namespace, name);
    if (!current) continue; // deleted since: create it again
    const holder = leaseHolderInfo(current, now);
    const resourceVersion = current.metadata?.resourceVersion ?? '';
    if (observed?.resourceVersion !== resourceVersion) observed = { resourceVersion, at: now.getTime() };
    const stale = holder !== undefined && now.getTime() - observed.at >= holder.durationSeconds * 1000;
    if (!holder || holder.runId === options.holder.runId || !holder.live || stale) {
      let taken: k8s.V1Lease;
      try {
        taken = await api.request(`PUT lease ${name} in namespace ${namespace}`, (c, o) =>
          c.coordination.replaceNamespacedLease({ name, namespace, body: leaseBody(options, durationSeconds, now, current) }, o),
        );
      } catch (error) {
        if (hasStatus(error, 409) || hasStatus(error, 404)) continue; // another run was quicker, or it was deleted: look again
        throw error;
      }
      if (holder && holder.runId !== options.holder.runId) {
        options.log(
          `release lock: took over ${name} from ${describeLeaseHolder(holder)}, which last renewed it at ${holder.renewedAt} (it lasts ${holder.durationSeconds} s)`,
        );
      }
      return new HeldReleaseLease(api, options, durationSeconds, taken);
    }
    const waited = now.getTime() - started;
    if (waited >= options.waitMs) throw new ReleaseLockedError({ namespace, release: options.release }, holder, waited);
    const key = `${holder.runId}\n${holder.machine}\n${holder.since}`;
    if (key !== logged) {
      options.log(
        `release lock: ${name} is held by ${describeLeaseHolder(holder)} since ${holder.since}; waiting up to ${Math.round((options.waitMs - waited) / 1000)} s more`,
      );
      logged = key;
    }
    await options.sleep(Math.min(pollMs, options.waitMs - waited));
  }
}

/** Who holds the release's Lease (live or not), or undefined when there is none or nobody holds it. */
export async function readReleaseLease(api: ReleaseObjectsApi, namespace: string, release: string, now: Date): Promise<LeaseHolderInfo | undefined> {
  checkReleaseName(release);
  const lease = await readLease(api, namespace, releaseLeaseName(release));
  return lease ? leaseHolderInfo(lease, now) : undefined;
}

/** The Lease while this run holds it: renews it every third of its duration on timers that never keep the process alive. */
class HeldReleaseLease implements ReleaseLease {
  readonly name: string;
  readonly lost: Promise<Error>;
  readonly #api: ReleaseObjectsApi;
  readonly #options: AcquireReleaseLeaseOptions;
  readonly #durationMs: number;
  readonly #intervalMs: number;
  /** Renewal's own cancellation: never the run's, which a cancelled run aborts before it rolls back. */
  readonly #renewal = new AbortController();
  #lease: k8s.V1Lease;
  #lastRenewed: number;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #stopped = false;
  #released: Promise<void> | undefined;
  #lose!: (error: Error) => void;

  constructor(api: ReleaseObjectsApi, options: AcquireReleaseLeaseOptions, durationSeconds: number, lease: k8s.V1Lease) {
    this.#api = api;
    this.#options = options;
    this.#durationMs = durationSeconds * 1000;
    this.#intervalMs = Math.max(200, Math.floor(this.#durationMs / 3));
    this.name = releaseLeaseName(options.release);
    this.#lease = lease;
    this.#lastRenewed = options.now().getTime();
    this.lost = new Promise<Error>((resolve) => {
      this.#lose = resolve;
    });
    this.#schedule();
  }

  get holder(): LeaseHolderInfo {
    const holder = leaseHolderInfo(this.#lease, this.#options.now());
    if (!holder) throw new InternalError(`the Lease ${this.name} this run holds names no holder`);
    return holder;
  }

  release(signal: AbortSignal = new AbortController().signal): Promise<void> {
    this.#released ??= this.#release(signal);
    return this.#released;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#renewing = this.#renew().finally(() => {
        this.#renewing = undefined;
        this.#schedule();
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  #stop(error?: ReleaseLeaseLostError): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (error) this.#lose(error);
  }

  async #renew(): Promise<void> {
    const { namespace, release } = this.#options;
    const where = { namespace, release };
    // One renewal may not outlast the next: a hung request must not hide that the Lease is running out.
    const limit = timeLimit(this.#intervalMs, this.#renewal.signal);
    const signal = limit.signal;
    try {
      for (let attempt = 0; attempt < 3 && !this.#stopped; attempt++) {
        const now = this.#options.now();
        try {
          this.#lease = await this.#api.request(
            `PUT lease ${this.name} in namespace ${namespace}`,
            (c, o) =>
              c.coordination.replaceNamespacedLease(
                { name: this.name, namespace, body: leaseBody(this.#options, this.#durationMs / 1000, now, this.#lease) },
                o,
              ),
            signal,
          );
          this.#lastRenewed = now.getTime();
          return;
        } catch (error) {
          if (!hasStatus(error, 409)) throw error;
        }
        // Someone wrote the Lease since: still ours (a label added by hand), renew on top of it; else it is gone.
        const current = await readLease(this.#api, namespace, this.name, signal);
        const holder = current ? leaseHolderInfo(current, this.#options.now()) : undefined;
        if (!current || current.metadata?.uid !== this.#lease.metadata?.uid || holder?.runId !== this.#options.holder.runId) {
          const why = !current ? 'it was deleted' : holder ? `${describeLeaseHolder(holder)} holds it now` : 'it was released by someone else';
          this.#stop(new ReleaseLeaseLostError(where, why, holder));
          return;
        }
        this.#lease = current;
      }
    } catch (error) {
      if (this.#stopped) return;
      if (hasStatus(error, 404)) {
        this.#stop(new ReleaseLeaseLostError(where, 'it was deleted', undefined, { cause: error }));
        return;
      }
      const failingMs = this.#options.now().getTime() - this.#lastRenewed;
      const message = error instanceof Error ? error.message : String(error);
      if (failingMs >= this.#durationMs) {
        this.#stop(
          new ReleaseLeaseLostError(where, `renewing it failed for ${Math.round(failingMs / 1000)} s, longer than it lasts (${message})`, undefined, {
            cause: error,
          }),
        );
      } else {
        this.#options.log(`release lock: renewing ${this.name} failed (${message}); trying again in ${Math.round(this.#intervalMs / 1000)} s`);
      }
    } finally {
      limit.clear();
    }
  }

  async #release(signal: AbortSignal): Promise<void> {
    const { namespace } = this.#options;
    this.#stop();
    await this.#renewing;
    this.#renewal.abort();
    let lease: k8s.V1Lease | undefined = this.#lease;
    const uid = this.#lease.metadata?.uid;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (!lease || lease.metadata?.uid !== uid || lease.spec?.holderIdentity !== this.#options.holder.runId) return; // not ours (any more): leave it
      const resourceVersion = lease.metadata?.resourceVersion;
      try {
        await this.#api.request(
          `DELETE lease ${this.name} in namespace ${namespace}`,
          (c, o) => c.coordination.deleteNamespacedLease({ name: this.name, namespace, body: { preconditions: { uid, resourceVersion } } }, o),
          signal,
        );
        return;
      } catch (error) {
        if (hasStatus(error, 404)) return;
        if (!hasStatus(error, 409)) throw error;
      }
      lease = await readLease(this.#api, namespace, this.name, signal);
    }
    this.#options.log(`release lock: ${this.name} kept changing while being released; it expires ${this.#durationMs / 1000} s after its last renewal`);
  }
}
