import type { DeployJournal } from '../deploy/deploy-journal.ts';
import type { ReleaseSession } from '../deploy/release-session.ts';
import type { CanaryJournal } from './canary-journal.ts';
import { removeCanary } from './derive/canary-objects.ts';
import { createTrafficRouter } from './traffic/create-traffic-router.ts';
import type { TrafficSnapshot } from './traffic/traffic-router.ts';

/** Journal phases after which a canary is gone: promoted, rolled back, or never created. */
const canaryGonePhases: readonly DeployJournal['phase'][] = ['promoted', 'rolled-back', 'deployed', 'not-deployed'];

/** The canary a previous run left in the cluster (paused on purpose, or unfinished when that run died), if any. */
export function leftCanary(journal: DeployJournal | undefined): CanaryJournal | undefined {
  if (!journal?.canary) return undefined;
  return canaryGonePhases.includes(journal.phase) ? undefined : journal.canary;
}

/**
 * Undoes a canary an earlier run left: traffic back to stable from the router's snapshot, then every
 * object it recorded (and the label sweep). Used before anything else changes the release — a new
 * deploy, a rollback — so that no canary outlives the version it was testing. Returns what was done.
 */
export async function removeLeftCanary(session: ReleaseSession): Promise<string | undefined> {
  const previous = session.previous;
  const canary = leftCanary(previous);
  if (!previous || !canary) return undefined;
  const done = `removed the canary run ${previous.run.id} left ${previous.phase === 'paused' ? 'paused' : `unfinished (${previous.phase})`} at ${canary.state.weight}%`;
  session.deps.log.warning(`canary: ${done}`);
  await createTrafficRouter(session.api, { restoreFrom: canary.router as TrafficSnapshot }).restore();
  await removeCanary(session.api, { namespace: session.target.namespace, release: session.target.release, refs: canary.objects });
  return done;
}
