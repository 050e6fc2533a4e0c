import type { AzureAuth } from '../../azure/azure-auth.ts';
import type { MetricCheck } from '../../canary/analysis/metric-checks.ts';
import type { SmokeCheck } from '../../smoke/smoke-check.ts';
import type { IgnoreRule } from '../scan/ignore-rules.ts';
import type { PolicyClause } from '../scan/scan-policy.ts';
import type { HelmChartRef } from '../../tools/helm-args.ts';
import type { ImagePart, PinnedImage } from '../../deploy/image-values.ts';
import type { ReleaseTarget } from '../../deploy/release-target.ts';

/** The validated inputs of deploy. */
export interface DeployInputs {
  target: ReleaseTarget;
  chart: HelmChartRef;
  /** Set for an OCI chart in an Azure Container Registry: sign in with these. */
  chartRegistrySignIn: { registry: string; auth: AzureAuth } | undefined;
  /** Absolute paths, in order. */
  valuesFiles: string[];
  set: Record<string, string>;
  image: { pinned: PinnedImage; paths: Array<{ path: string; part: ImagePart }> } | undefined;
  strategy: 'direct' | 'canary';
  canary: CanaryInputs | undefined;
  /** The Azure sign-in, when something needs it (a chart in ACR, managed Prometheus). */
  azureAuth: AzureAuth | undefined;
  createNamespace: boolean;
  historyMax: number;
  serverSide: 'auto' | 'true' | 'false';
  description: string | undefined;
  timeoutMs: number;
  stableForMs: number;
  maxRestarts: number;
  policy: { failOn: PolicyClause[]; ignoreRules: IgnoreRule[]; ignoreFile: string | undefined } | undefined;
}

/** The validated inputs of `strategy: canary`. */
export interface CanaryInputs {
  action: 'start' | 'promote' | 'abort';
  /** Weights in percent, increasing. */
  steps: number[];
  bakeMs: number;
  /** 1-based; undefined: never pause. */
  pauseAfterStep: number | undefined;
  traffic: 'replicas' | 'ingress-nginx' | 'gateway-api';
  ingress: string | undefined;
  httpRoute: string | undefined;
  smokeChecks: SmokeCheck[];
  helmTest: boolean;
  metrics: MetricCheck[];
  prometheus: { url: string; auth: 'azure' | 'none' } | undefined;
}
