import { ExitCode } from '../errors/exit-codes.ts';
import { SlipwayError } from '../errors/index.ts';
import { KubeApi } from '../k8s/kube-api.ts';
import { KubeApiError } from '../k8s/kube-api-error.ts';
import { acquireReleaseLease, type ReleaseLease } from '../k8s/release-lease.ts';
import { ReleaseJournalStore } from '../k8s/release-journal-store.ts';
import type { StepDeps } from '../steps/framework/step-deps.ts';
import type { HelmTarget } from '../tools/helm-args.ts';
import { Helm } from '../tools/helm.ts';
import type { DeployJournal } from './deploy-journal.ts';
import { JournalKeeper } from './journal-keeper.ts';
import type { ReleaseTarget } from './release-target.ts';
import type { RunIdentity } from './run-identity.ts';

/** How long one Kubernetes API request may take. */
const requestTimeoutMs = 30_000;
/** The Lease lasts this long without renewal: a killed run's Lease frees the release after it. */
const leaseDurationSeconds = 30;

/** Everything a release operation (deploy, rollback, post-phase repair) works with, opened once. */
export interface ReleaseSession {
  readonly target: ReleaseTarget;
  readonly helmTarget: HelmTarget;
  readonly api: KubeApi;
  /** Helm under the run's cancellation: an upgrade stops (and Helm marks it failed) when the run is cancelled. */
  readonly helm: Helm;
  /** Helm that the run's cancellation does not stop: rollbacks and repairs, bounded by their own deadlines. */
  readonly steadyHelm: Helm;
  readonly journal: JournalKeeper;
  /** The journal the previous run left, as it was before this one began. */
  readonly previous: DeployJournal | undefined;
  readonly lease: ReleaseLease;
  readonly run: RunIdentity;
  readonly deps: StepDeps;
  /** Releases the Lease (never throws: an unreleased Lease expires by itself). */
  close(): Promise<void>;
}

export interface OpenReleaseSessionOptions {
  operation: DeployJournal['operation'];
  /** Announces what the Lease is held for (`deploy orders-api`). */
  purpose: string;
  /** Overrides the target's lock wait (the post phase cannot wait long). */
  lockWaitMs?: number;
  /** The Helm to use (one with a private registry config, say); a plain one otherwise. */
  helm?: Helm;
  /** Carry on the journal when the previous one is this run's own (the post phase finishing the main phase's work). */
  continueJournal?: boolean;
  /** Create the release's namespace when it does not exist (deploy's `create-namespace`), before the Lease goes in it. */
  createNamespace?: boolean;
}

/**
 * Opens the cluster, locks the release (waiting up to lock-wait for another run, then exit 3 naming
 * it), and reads the journal the previous run left. Nothing in the cluster changes before the Lease is
 * held, and the Lease is the first thing that does.
 */
export async function openReleaseSession(target: ReleaseTarget, deps: StepDeps, options: OpenReleaseSessionOptions): Promise<ReleaseSession> {
  const api = await KubeApi.open({
    kubeconfigFile: target.kubeconfig,
    context: target.kubeContext,
    timeoutMs: requestTimeoutMs,
    // Requests are bounded by their timeout; cancellation is the executor's to handle, so that a
    // rollback after a cancel can still talk to the cluster.
    signal: new AbortController().signal,
  });
  const helmTarget: HelmTarget = {
    namespace: target.namespace,
    kubeconfig: target.kubeconfig,
    ...(target.kubeContext ? { kubeContext: target.kubeContext } : {}),
  };
  const helm = options.helm ?? new Helm(deps.runner);
  await helm.version();
  const steadyHelm = helm.withRunner(deps.runner.withSignal(undefined));

  await ensureNamespace(api, target.namespace, options.createNamespace === true, deps);
  const lease = await acquireReleaseLease(api, {
    namespace: target.namespace,
    release: target.release,
    holder: { runId: deps.run.id, host: deps.run.host, machine: deps.run.machine, ...(deps.run.url ? { runUrl: deps.run.url } : {}) },
    durationSeconds: leaseDurationSeconds,
    waitMs: options.lockWaitMs ?? target.lockWaitMs,
    now: deps.now,
    sleep: deps.sleep,
    log: (message) => deps.log.info(message),
  });
  deps.log.info(`locked release ${target.release} for ${options.purpose} (Lease ${lease.name})`);
  // Renewal failed for longer than the Lease lasts (the API server unreachable, or another run took it
  // over): say so at once; whatever this run does next may now race that run.
  void lease.lost.then((error) => deps.log.warning(`the release's Lease was lost: ${error.message}`));
  try {
    const store = new ReleaseJournalStore(api, target.namespace, target.release);
    const previous = await JournalKeeper.previous(store, (message) => deps.log.warning(message));
    const own = options.continueJournal && previous.journal?.run.id === deps.run.id && previous.stored ? previous : undefined;
    const journal =
      own?.journal && own.stored
        ? JournalKeeper.resume(store, own.journal, own.stored, deps.now)
        : JournalKeeper.begin(store, previous, {
            release: target.release,
            namespace: target.namespace,
            operation: options.operation,
            run: deps.run,
            now: deps.now,
          });
    return {
      target,
      helmTarget,
      api,
      helm,
      steadyHelm,
      journal,
      previous: previous.journal,
      lease,
      run: deps.run,
      deps,
      close: async () => {
        try {
          await lease.release();
        } catch (error) {
          deps.log.warning(`could not release the Lease ${lease.name} (it expires by itself in ${leaseDurationSeconds} s): ${String(error)}`);
        }
      },
    };
  } catch (error) {
    await lease.release().catch(() => undefined);
    throw error;
  }
}

/**
 * The Lease and the journal live in the release's namespace, so it must exist before Helm would create
 * it: created here with `create-namespace` (what `helm --create-namespace` would do, a moment earlier),
 * otherwise its absence is said plainly instead of as a 404 on a Lease.
 */
async function ensureNamespace(api: KubeApi, namespace: string, create: boolean, deps: StepDeps): Promise<void> {
  try {
    await api.request(`GET namespace ${namespace}`, (c, o) => c.core.readNamespace({ name: namespace }, o));
    return;
  } catch (error) {
    // Allowed to work in the namespace but not to read namespaces (RBAC scoped to it): go on.
    if (!(error instanceof KubeApiError) || error.status !== 404) {
      if (error instanceof KubeApiError && error.status === 403) return;
      throw error;
    }
  }
  if (!create) {
    throw new SlipwayError('NAMESPACE_NOT_FOUND', `namespace '${namespace}' does not exist in the cluster`, ExitCode.environment, {
      hint: 'create it first, or set create-namespace: true',
    });
  }
  deps.log.info(`creating namespace ${namespace}`);
  try {
    await api.request(`POST namespace ${namespace}`, (c, o) => c.core.createNamespace({ body: { metadata: { name: namespace } } }, o));
  } catch (error) {
    // Created by someone else in between: that is all that was wanted.
    if (!(error instanceof KubeApiError && error.status === 409)) throw error;
  }
}
