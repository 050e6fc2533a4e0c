import type * as k8s from '@kubernetes/client-node';
import { errorCodes, InternalError, SlipwayError } from '../errors/index.ts';
import { KubeApiError } from './kube-api-error.ts';
import { checkReleaseName, isManagedBySlipway, releaseObjectLabels, type ReleaseObjectsApi } from './release-lease.ts';

/** A journal as the cluster holds it. */
export interface StoredJournal {
  /** The parsed JSON. */
  readonly data: unknown;
  /** The ConfigMap's resourceVersion: give it back to {@link ReleaseJournalStore.write} to replace exactly this version. */
  readonly resourceVersion: string;
  /** When Slipway last wrote it (ISO), from the `slipway.dev/updated-at` annotation. */
  readonly updatedAt?: string;
}

interface JournalPlace {
  namespace: string;
  name: string;
}

/** Someone else wrote (or created, or removed) the journal between this run's read and its write (exit 3). */
export class JournalConflictError extends SlipwayError {
  constructor(place: JournalPlace, what: string, options: { cause?: unknown } = {}) {
    super('JOURNAL_CONFLICT', `the deploy journal ${place.name} in namespace '${place.namespace}' ${what}`, errorCodes.JOURNAL_CONFLICT.exitCode, {
      hint: 'another run or a human changed it: read it again and decide from what it says now',
      cause: options.cause,
    });
  }
}

/** A ConfigMap with the journal's name exists that Slipway did not create: it is neither read, overwritten nor deleted (exit 3). */
export class JournalNameTakenError extends SlipwayError {
  constructor(place: JournalPlace) {
    super(
      'JOURNAL_NAME_TAKEN',
      `the ConfigMap ${place.name} in namespace '${place.namespace}' is not a Slipway deploy journal (it has no app.kubernetes.io/managed-by: slipway label)`,
      errorCodes.JOURNAL_NAME_TAKEN.exitCode,
      {
        hint: `Slipway keeps the release's journal under that name: rename or delete that ConfigMap (kubectl get configmap ${place.name} -n ${place.namespace} -o yaml shows what it is)`,
      },
    );
  }
}

/**
 * The journal's ConfigMap is Slipway's but holds no `journal.json`, or no JSON (exit 3). It carries the
 * version it found, so that a caller that decides to start afresh can overwrite exactly that version:
 * `store.write(data, { data: undefined, resourceVersion: error.resourceVersion })`.
 */
export class JournalCorruptError extends SlipwayError {
  readonly resourceVersion: string;
  /** What `journal.json` holds ('' when absent). */
  readonly text: string;

  constructor(place: JournalPlace, resourceVersion: string, text: string, problem: string, options: { cause?: unknown } = {}) {
    const quoted = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    super(
      'JOURNAL_CORRUPT',
      `the deploy journal ${place.name} in namespace '${place.namespace}' ${problem}${text ? `: ${JSON.stringify(quoted)}` : ''}`,
      errorCodes.JOURNAL_CORRUPT.exitCode,
      {
        hint: `look at it (kubectl get configmap ${place.name} -n ${place.namespace} -o yaml) and the release (helm history): delete it once the release is as it should be`,
        cause: options.cause,
      },
    );
    this.resourceVersion = resourceVersion;
    this.text = text;
  }
}

export interface ReleaseJournalStoreOptions {
  /** The clock of `slipway.dev/updated-at` (default: the system's). */
  now?: () => Date;
  /** A one-line summary of a journal for humans (`slipway.dev/summary`, e.g. `rolled-back: revision 7 -> 6`); none by default. */
  summarise?: (data: unknown) => string | undefined;
}

const journalKey = 'journal.json';
const updatedAtKey = 'slipway.dev/updated-at';
const summaryKey = 'slipway.dev/summary';

const hasStatus = (error: unknown, status: number): boolean => error instanceof KubeApiError && error.status === status;

/**
 * A release's deploy journal, one ConfigMap per release (`slipway-journal-<release>`, key `journal.json`,
 * pretty JSON so that `kubectl get cm -o yaml` reads well), generic over the JSON. Writes use optimistic
 * concurrency: a write names the version it replaces and fails with JournalConflictError when someone
 * wrote in between. A ConfigMap of that name that Slipway did not create is never read, overwritten or
 * deleted (JournalNameTakenError); a Slipway one whose JSON does not parse makes read() throw
 * JournalCorruptError, which carries its version so that a caller may overwrite it deliberately.
 */
export class ReleaseJournalStore {
  readonly name: string;
  readonly #api: ReleaseObjectsApi;
  readonly #namespace: string;
  readonly #release: string;
  readonly #options: ReleaseJournalStoreOptions;

  constructor(api: ReleaseObjectsApi, namespace: string, release: string, options: ReleaseJournalStoreOptions = {}) {
    checkReleaseName(release);
    this.#api = api;
    this.#namespace = namespace;
    this.#release = release;
    this.#options = options;
    this.name = `slipway-journal-${release}`;
  }

  /** The journal, or undefined when there is none. */
  async read(signal?: AbortSignal): Promise<StoredJournal | undefined> {
    const configMap = await this.#get(signal);
    return configMap ? this.#parse(configMap) : undefined;
  }

  /**
   * Creates the journal (`previous` undefined) or replaces the version `previous` read; JournalConflictError
   * when someone else created, changed or removed it meanwhile. Returns what is stored now.
   */
  async write(data: unknown, previous: StoredJournal | undefined, signal?: AbortSignal): Promise<StoredJournal> {
    // Without a resourceVersion a replace would overwrite whatever is there, a foreign ConfigMap included.
    if (previous && !previous.resourceVersion) throw new InternalError(`replacing the deploy journal of '${this.#release}' needs the resourceVersion it read`);
    let text: string | undefined;
    try {
      text = JSON.stringify(data, null, 2);
    } catch (error) {
      throw new InternalError(`the deploy journal of '${this.#release}' is not JSON: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    if (text === undefined) throw new InternalError(`the deploy journal of '${this.#release}' is not JSON (${typeof data})`);
    const body = this.#configMap(`${text}\n`, data, previous?.resourceVersion);
    const namespace = this.#namespace;
    const name = this.name;
    try {
      const written = previous
        ? await this.#api.request(
            `PUT configmap ${name} in namespace ${namespace}`,
            (c, o) => c.core.replaceNamespacedConfigMap({ name, namespace, body }, o),
            signal,
          )
        : await this.#api.request(
            `POST configmap ${name} in namespace ${namespace}`,
            (c, o) => c.core.createNamespacedConfigMap({ namespace, body }, o),
            signal,
          );
      return this.#parse(written);
    } catch (error) {
      if (hasStatus(error, 404)) throw new JournalConflictError(this.#place, 'was removed since it was read', { cause: error });
      if (!hasStatus(error, 409)) throw error;
      if (previous) throw new JournalConflictError(this.#place, 'was changed by someone else since it was read', { cause: error });
      const existing = await this.#get(signal);
      if (existing && !isManagedBySlipway(existing.metadata)) throw new JournalNameTakenError(this.#place);
      throw new JournalConflictError(this.#place, 'was created by someone else meanwhile', { cause: error });
    }
  }

  /** Deletes the journal, if there is one and nobody changed it while it was being deleted (JournalConflictError otherwise). */
  async remove(signal?: AbortSignal): Promise<void> {
    const configMap = await this.#get(signal);
    if (!configMap) return;
    const { uid, resourceVersion } = configMap.metadata ?? {};
    const namespace = this.#namespace;
    const name = this.name;
    try {
      await this.#api.request(
        `DELETE configmap ${name} in namespace ${namespace}`,
        (c, o) => c.core.deleteNamespacedConfigMap({ name, namespace, body: { preconditions: { uid, resourceVersion } } }, o),
        signal,
      );
    } catch (error) {
      if (hasStatus(error, 404)) return;
      if (hasStatus(error, 409)) throw new JournalConflictError(this.#place, 'was changed by someone else while it was being removed', { cause: error });
      throw error;
    }
  }

  get #place(): JournalPlace {
    return { namespace: this.#namespace, name: this.name };
  }

  /** The journal's ConfigMap if it is Slipway's, undefined when absent; JournalNameTakenError when it is someone else's. */
  async #get(signal: AbortSignal | undefined): Promise<k8s.V1ConfigMap | undefined> {
    let configMap: k8s.V1ConfigMap;
    try {
      configMap = await this.#api.request(
        `GET configmap ${this.name} in namespace ${this.#namespace}`,
        (c, o) => c.core.readNamespacedConfigMap({ name: this.name, namespace: this.#namespace }, o),
        signal,
      );
    } catch (error) {
      if (hasStatus(error, 404)) return undefined;
      throw error;
    }
    if (!isManagedBySlipway(configMap.metadata)) throw new JournalNameTakenError(this.#place);
    return configMap;
  }

  #parse(configMap: k8s.V1ConfigMap): StoredJournal {
    const resourceVersion = configMap.metadata?.resourceVersion ?? '';
    const text = configMap.data?.[journalKey];
    if (text === undefined) throw new JournalCorruptError(this.#place, resourceVersion, '', `holds no ${journalKey}`);
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new JournalCorruptError(this.#place, resourceVersion, text, `holds no valid JSON in ${journalKey}`, { cause: error });
    }
    const updatedAt = configMap.metadata?.annotations?.[updatedAtKey];
    return { data, resourceVersion, ...(updatedAt ? { updatedAt } : {}) };
  }

  #configMap(text: string, data: unknown, resourceVersion: string | undefined): k8s.V1ConfigMap {
    const summary = this.#options.summarise?.(data)?.replace(/\s+/g, ' ').trim();
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: this.name,
        namespace: this.#namespace,
        ...(resourceVersion ? { resourceVersion } : {}),
        labels: { ...releaseObjectLabels(this.#release), 'slipway.dev/kind': 'deploy-journal' },
        annotations: {
          [updatedAtKey]: (this.#options.now?.() ?? new Date()).toISOString(),
          ...(summary ? { [summaryKey]: summary.length > 200 ? `${summary.slice(0, 199)}…` : summary } : {}),
        },
      },
      data: { [journalKey]: text },
    };
  }
}
