import type { AzureAuth } from '../../azure/azure-auth.ts';
import type { IgnoreRule } from './ignore-rules.ts';
import type { PolicyClause } from './scan-policy.ts';
import type { Severity } from './severity.ts';
import type { ScanTarget } from '../../tools/trivy-args.ts';

export interface ScanInputs {
  target: ScanTarget | { kind: 'report'; path: string; text: string };
  /** How Trivy logs in to the registry of an `image` target. */
  registryAuth: { kind: 'basic'; username: string; password: string } | { kind: 'azure'; registry: string; auth: AzureAuth } | undefined;
  scanners: string[];
  clauses: PolicyClause[];
  ignoreUnfixed: boolean;
  ignoreRules: IgnoreRule[];
  ignoreFile: string | undefined;
  shownSeverities: Severity[];
  jsonFile: string | undefined;
  sarifFile: string | undefined;
  junitFile: string | undefined;
  cyclonedxFile: string | undefined;
  db: { repositories: string[]; retries: number; cacheDir: string; offline: boolean; maxAgeMs: number };
  trivyVersion: string | undefined;
  insecureRegistry: boolean;
  timeoutMs: number;
}
