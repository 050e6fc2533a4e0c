import type { AzureAuth } from '../../azure/azure-auth.ts';

export interface PushTargetImage {
  layout: string;
  /** Manifest digest in the layout; undefined means the layout's only entry. */
  digest: string | undefined;
  registry: string;
  repository: string;
  tags: string[];
}

export interface PushInputs {
  images: PushTargetImage[];
  auth: AzureAuth;
  attempts: number;
  retention: { keep: number; pattern: RegExp; dryRun: boolean } | undefined;
}
