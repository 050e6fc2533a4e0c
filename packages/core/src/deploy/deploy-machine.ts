/**
 * The direct deploy as a pure state machine: `decide(state, observation)` returns the next state and
 * the actions to take; the executor (run-release-operation.ts) is the only code with I/O. Every path to a
 * rollback goes through the one `roll-back` action emitted by {@link rollBack}.
 */

/** What the release operation can end as. */
export type DeployResult = 'deployed' | 'rolled-back' | 'not-deployed' | 'needs-human';

export type DeployPhase = 'upgrading' | 'verifying' | 'rolling-back' | 'done';

export interface DeployState {
  readonly phase: DeployPhase;
  /** The revision before the upgrade; undefined on a first install. */
  readonly fromRevision: number | undefined;
  /** The revision the upgrade made. */
  readonly deployedRevision: number | undefined;
  /** Why the deploy is being (or was) undone. */
  readonly reason: string | undefined;
  /** The run was cancelled: whatever happens next, the result is not `deployed`. */
  readonly cancelled: boolean;
  readonly result: DeployResult | undefined;
  readonly rolledBackTo: number | undefined;
}

/** What the executor saw. */
export type DeployObservation =
  | { kind: 'upgrade-applied'; revision: number }
  /** `revision`: the newest revision after the failed upgrade, when it made one (Helm records failed upgrades). */
  | { kind: 'upgrade-failed'; reason: string; revision: number | undefined }
  | { kind: 'healthy'; summary: string }
  | { kind: 'unhealthy'; reason: string }
  | { kind: 'cancelled'; reason: string }
  | { kind: 'rolled-back'; to: number }
  | { kind: 'uninstalled' }
  | { kind: 'rollback-failed'; reason: string };

/** What to do next. The upgrade itself is where every deploy starts, so no action asks for it. */
export type DeployAction =
  | { kind: 'verify'; revision: number }
  /** The one rollback: to the newest good revision other than `exclude`, or uninstall when there is none. */
  | { kind: 'roll-back'; reason: string; exclude: number[]; uninstallIfNone: boolean }
  | { kind: 'mark-bad'; revision: number }
  | { kind: 'finish'; result: DeployResult; reason: string | undefined };

export interface Decision {
  next: DeployState;
  actions: DeployAction[];
  /** One line for the log and the journal. */
  transition: string;
}

export function initialDeployState(fromRevision: number | undefined): DeployState {
  return { phase: 'upgrading', fromRevision, deployedRevision: undefined, reason: undefined, cancelled: false, result: undefined, rolledBackTo: undefined };
}

type Handler<K extends DeployObservation['kind']> = (state: DeployState, observation: Extract<DeployObservation, { kind: K }>) => Decision;
type PhaseTable = { [K in DeployObservation['kind']]?: Handler<K> };

/** The single place a rollback is decided. */
function rollBack(state: DeployState, reason: string, fields: Partial<DeployState> = {}): Decision {
  const next: DeployState = { ...state, ...fields, phase: 'rolling-back', reason };
  const bad = next.deployedRevision;
  return {
    next,
    actions: [
      ...(bad === undefined ? [] : [{ kind: 'mark-bad', revision: bad } as const]),
      { kind: 'roll-back', reason, exclude: bad === undefined ? [] : [bad], uninstallIfNone: next.fromRevision === undefined },
    ],
    transition: `rolling back: ${reason}`,
  };
}

function finish(state: DeployState, result: DeployResult, transition: string, fields: Partial<DeployState> = {}): Decision {
  const next: DeployState = { ...state, ...fields, phase: 'done', result };
  return { next, actions: [{ kind: 'finish', result, reason: next.reason }], transition };
}

const table: Record<Exclude<DeployPhase, 'done'>, PhaseTable> = {
  upgrading: {
    'upgrade-applied': (state, { revision }) => {
      const next = { ...state, phase: 'verifying' as const, deployedRevision: revision };
      if (state.cancelled) return rollBack(next, 'cancelled during the upgrade');
      return { next, actions: [{ kind: 'verify', revision }], transition: `revision ${revision} applied; watching its workloads` };
    },
    'upgrade-failed': (state, { reason, revision }) => {
      // No new revision: the release is as it was, nothing to undo.
      if (revision === undefined || revision === state.fromRevision) {
        return finish({ ...state, reason }, 'not-deployed', `upgrade failed before changing the release: ${reason}`);
      }
      return rollBack(state, `upgrade failed: ${reason}`, { deployedRevision: revision });
    },
    unhealthy: (state, { reason }) => rollBack(state, reason),
    cancelled: (state, { reason }) => ({ next: { ...state, cancelled: true, reason }, actions: [], transition: `${reason}: stopping the upgrade` }),
  },
  verifying: {
    healthy: (state, { summary }) => {
      if (state.cancelled) return rollBack(state, state.reason ?? 'cancelled');
      return finish(state, 'deployed', `revision ${state.deployedRevision} is healthy: ${summary}`);
    },
    unhealthy: (state, { reason }) => rollBack(state, reason),
    cancelled: (state, { reason }) => rollBack({ ...state, cancelled: true }, reason),
  },
  'rolling-back': {
    'rolled-back': (state, { to }) => finish(state, 'rolled-back', `rolled back to revision ${to}`, { rolledBackTo: to }),
    uninstalled: (state) => finish(state, 'rolled-back', 'uninstalled the release: it never had a good revision'),
    'rollback-failed': (state, { reason }) =>
      finish(state, 'needs-human', `rollback failed: ${reason}`, { reason: `${state.reason ?? 'deploy failed'}; then the rollback failed: ${reason}` }),
    // Already undoing: a cancel changes nothing, the rollback goes on under its own deadline.
    cancelled: (state) => ({ next: { ...state, cancelled: true }, actions: [], transition: 'cancel received while rolling back: finishing the rollback' }),
  },
};

/** The next state and actions; an observation a phase does not expect is a bug, reported as needs-human. */
export function decide(state: DeployState, observation: DeployObservation): Decision {
  if (state.phase === 'done') return { next: state, actions: [], transition: `ignored ${observation.kind} after the end` };
  const handler = table[state.phase][observation.kind] as Handler<typeof observation.kind> | undefined;
  if (!handler) {
    return finish(state, 'needs-human', `unexpected ${observation.kind} while ${state.phase}`, {
      reason: `internal: ${observation.kind} while ${state.phase}`,
    });
  }
  return handler(state, observation as never);
}
