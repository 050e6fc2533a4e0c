import type { AzureAuth } from '../../azure/azure-auth.ts';
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
  strategy: 'direct';
  createNamespace: boolean;
  historyMax: number;
  serverSide: 'auto' | 'true' | 'false';
  description: string | undefined;
  timeoutMs: number;
  stableForMs: number;
  maxRestarts: number;
  policy: { failOn: PolicyClause[]; ignoreRules: IgnoreRule[]; ignoreFile: string | undefined } | undefined;
}
