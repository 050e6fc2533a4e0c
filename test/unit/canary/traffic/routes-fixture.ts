import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type CanaryPlan, deriveCanary, type TrafficProvider } from '@slipway/core';

type Json = any;

/** slipway-demo rendered by Helm 4 with its Ingress and HTTPRoute (test/fixtures/helm/canary-demo-routes-helm4.yaml). */
export const routesManifest = readFileSync(path.resolve(import.meta.dirname, '../../../fixtures/helm/canary-demo-routes-helm4.yaml'), 'utf8');

/** A rendered object, in namespace `shop`, with the annotations Helm adds when it installs it. */
export function renderedObject(kind: string): Json {
  for (const document of parseAllDocuments(routesManifest)) {
    const value = document.toJS() as Json;
    if (value?.kind === kind) {
      value.metadata.namespace = 'shop';
      value.metadata.annotations = { ...value.metadata.annotations, 'meta.helm.sh/release-name': 'demo', 'meta.helm.sh/release-namespace': 'shop' };
      return value;
    }
  }
  throw new Error(`no ${kind} in the fixture`);
}

export function demoPlan(provider: TrafficProvider): CanaryPlan {
  return deriveCanary(routesManifest, { release: 'demo', namespace: 'shop', provider, runId: 'run-7' });
}
