import { ExitCode, SlipwayError } from '../../errors/index.ts';
import type { CanaryObjectRef } from '../canary-journal.ts';

/** `Deployment/web-canary in namespace 'shop'`. */
export function describeObjectRef(ref: Pick<CanaryObjectRef, 'kind' | 'name' | 'namespace'>): string {
  return `${ref.kind}/${ref.name} in namespace '${ref.namespace}'`;
}

/** No canary can be made from the rendered chart (no Deployment or StatefulSet in it): exit 2, nothing changed. */
export class CanaryNotDerivableError extends SlipwayError {
  constructor(message: string, hint: string, options: { cause?: unknown } = {}) {
    super('CANARY_NOT_DERIVABLE', message, ExitCode.invalidInput, { hint, cause: options.cause });
  }
}

/**
 * Objects with the names of canary objects exist that Slipway did not create for this release (no
 * `app.kubernetes.io/managed-by: slipway` and `slipway.dev/canary-of: <release>` labels): Slipway
 * neither changes nor deletes them (exit 3).
 */
export class CanaryNameTakenError extends SlipwayError {
  readonly objects: readonly CanaryObjectRef[];

  constructor(objects: readonly CanaryObjectRef[], release: string) {
    const list = objects.map(describeObjectRef).join(', ');
    super(
      'CANARY_NAME_TAKEN',
      `${objects.length === 1 ? 'an object' : 'objects'} with the canary's name${objects.length === 1 ? '' : 's'} already exist${objects.length === 1 ? 's' : ''} and ${objects.length === 1 ? 'is' : 'are'} not Slipway's canary of release '${release}': ${list}`,
      ExitCode.environment,
      {
        hint: 'Slipway never changes or deletes what it did not create: rename or delete those objects (kubectl get <kind> <name> -o yaml shows whose they are), then run again',
      },
    );
    this.objects = [...objects];
  }
}

/**
 * A traffic object (an HTTPRoute) changed under Slipway: its rules are no longer what Slipway set, so
 * Slipway did not overwrite them. Traffic may still reach the canary: a human must look (exit 4).
 */
export class TrafficRouteConflictError extends SlipwayError {
  readonly object: CanaryObjectRef;

  constructor(object: CanaryObjectRef, what: string, hint: string) {
    super('TRAFFIC_ROUTE_CONFLICT', `${describeObjectRef(object)} ${what}`, ExitCode.needsHuman, { hint });
    this.object = object;
  }
}
