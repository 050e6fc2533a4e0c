import type { StepSpec } from '../../inputs/index.ts';
import { releaseTargetInputs } from '../deploy/deploy-spec.ts';

/** Inputs and outputs of `rollback`. */
export const rollbackSpec = {
  id: 'rollback',
  title: 'Slipway rollback',
  description:
    'Rolls a Helm release back to its last good revision (deployed or superseded, never one Slipway saw fail, never blindly the previous one), or to a given revision, and watches it come up healthy; usable after any failed job. Works on a release stuck in pending-*.',
  taskName: 'SlipwayRollbackV1',
  taskId: '5d7c9e21-3b4a-4f8e-a6d0-2c1b8e9f4a17',
  taskVersion: { major: 1, minor: 0, patch: 0 },
  branding: { icon: 'rotate-ccw', color: 'blue' },
  postPhase: true,
  groups: [
    { name: 'release', displayName: 'Release', isExpanded: true },
    { name: 'health', displayName: 'Health', isExpanded: false },
    { name: 'cluster', displayName: 'Cluster', isExpanded: false },
  ],
  inputs: [
    ...releaseTargetInputs,
    {
      name: 'revision',
      type: 'integer',
      group: 'release',
      min: 1,
      description: 'The revision to go back to. Default: the newest good one before the current revision.',
    },
    {
      name: 'timeout',
      type: 'duration',
      group: 'health',
      default: '5m',
      min: 1000,
      max: 7_200_000,
      description: 'How long the rolled-back revision may take to come up healthy.',
    },
    {
      name: 'max-restarts',
      type: 'integer',
      group: 'health',
      default: '2',
      min: 0,
      max: 100,
      description: 'Container restarts of a restored pod tolerated within a minute; one more counts it unhealthy.',
    },
  ],
  outputs: [
    { name: 'result', description: '`rolled-back`, `nothing-to-do` (no such release) or `needs-human` (exit 4).' },
    { name: 'revision', description: 'The release revision now running (the rollback makes a new revision, a copy of rolled-back-to).' },
    { name: 'rolled-back-to', description: 'The revision restored.' },
    { name: 'reason', description: 'Why the rollback could not be done.' },
  ],
} as const satisfies StepSpec;
