import type { AzureAuth } from '../../azure/azure-auth.ts';
import type { IgnoreRule } from '../scan/ignore-rules.ts';
import type { PolicyClause } from '../scan/scan-policy.ts';
import type { HelmChartRef } from '../../tools/helm-args.ts';
import type { ReleaseTarget } from '../../deploy/release-target.ts';

/** A part of the pinned image that image-values writes onto a value path. */
export type ImagePart = 'repository' | 'registry' | 'name' | 'tag' | 'digest' | 'tag@digest' | 'reference';

/** The image from push, pinned by digest. */
export interface PinnedImage {
  /** `registry/repo:tag@sha256:…` as given. */
  reference: string;
  registry: string | undefined;
  repository: string;
  tag: string | undefined;
  digest: string;
}

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
