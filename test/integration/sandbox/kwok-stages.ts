/**
 * Helpers for the suites that exercise test/sandbox/kwok/stages.yaml directly (issue #11): raw pods,
 * and a check that the running cluster was created from stages that have the features a suite needs.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { kubectlJson, runOk, type ContainerStatus, type Pod, type SandboxInfo } from './sandbox.ts';

/** The failure-mode key: a pod label or, since issue #11, a pod annotation. */
export const FAILURE_MODE = 'sandbox.slipway.dev/failure-mode';

/** A Pod with the status fields these suites look at besides sandbox.ts's {@link Pod} (still a Pod). */
export type StagedPod = Omit<Pod, 'status'> & {
  status: Omit<Pod['status'], 'conditions' | 'containerStatuses'> & {
    startTime?: string;
    conditions?: { type: string; status: string; reason?: string; lastTransitionTime?: string }[];
    containerStatuses?: (ContainerStatus & { started?: boolean })[];
  };
};

/**
 * Fails (with what to do) unless kwok loaded stages containing every `needles` string: kwok reads its
 * stages only when the cluster is created, and kwokctl keeps what it loaded in the cluster's kwok.yaml.
 * A sandbox started before issue #11 needs `npm run sandbox:up` (which recreates the cluster when
 * kwok/stages.yaml changed). Without that file (another layout) the suite runs unchecked.
 */
export function requireLoadedStages(sb: SandboxInfo, needles: string[]): void {
  const file = path.join(sb.env.KWOK_WORKDIR ?? '', 'clusters', sb.env.KWOK_CLUSTER ?? '', 'kwok.yaml');
  if (!sb.env.KWOK_WORKDIR || !existsSync(file)) return;
  const loaded = readFileSync(file, 'utf8');
  const missing = needles.filter((n) => !loaded.includes(n));
  if (missing.length > 0) {
    throw new Error(
      `the sandbox cluster runs older KWOK stages (${file} lacks ${missing.join(', ')}): ` +
        'run `npm run sandbox:up` (it recreates the cluster from test/sandbox/kwok/stages.yaml)',
    );
  }
}

/** Creates a bare pod (no controller) on the KWOK nodes. */
export async function createPod(
  sb: SandboxInfo,
  ns: string,
  name: string,
  meta: { labels?: Record<string, string>; annotations?: Record<string, string>; restartPolicy?: string },
): Promise<void> {
  const manifest = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: meta.labels ?? {}, annotations: meta.annotations ?? {} },
    spec: { restartPolicy: meta.restartPolicy ?? 'Always', containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
  };
  await runOk(sb, sb.env.KUBECTL!, ['--kubeconfig', sb.env.KUBECONFIG!, 'apply', '-f', '-'], { input: JSON.stringify(manifest) });
}

export function getPod(sb: SandboxInfo, ns: string, name: string): Promise<StagedPod> {
  return kubectlJson<StagedPod>(sb, ['get', 'pod', name, '-n', ns]);
}

export const container = (p: StagedPod) => p.status.containerStatuses?.[0];
export const readyCondition = (p: StagedPod) => p.status.conditions?.find((c) => c.type === 'Ready');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
