import type { IgnoreRule } from './ignore-rules.ts';
import type { PolicyClause } from './scan-policy.ts';
import type { Severity } from './severity.ts';
import type { ScanTarget } from './trivy-args.ts';

export interface ScanInputs {
  target: ScanTarget | { kind: 'report'; path: string; text: string };
  registryAuth: { username: string; password: string } | undefined;
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
