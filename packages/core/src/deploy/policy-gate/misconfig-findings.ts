import type { Finding } from '../../steps/scan/findings.ts';
import type { TrivyReport } from '../../steps/scan/trivy-report.ts';
import { describeObject, type ManifestDocument } from './split-manifest.ts';

/**
 * A failed misconfiguration check on one object of the rendered chart. `target` is the template it came
 * from (Helm's `# Source:`), `location` the lines within what that template rendered.
 */
export interface MisconfigFinding extends Finding {
  kind: 'misconfiguration';
  /** The object the check failed on: `Deployment/web`, `Pod/web-test -n team`. */
  resource: string;
  /** Trivy's sentence about this object: `Container 'app' of Deployment 'web' should set ...`. */
  message: string;
  /** What to change, from the check's metadata. */
  resolution: string | undefined;
}

export interface CollectedMisconfigs {
  findings: MisconfigFinding[];
  /** Documents Trivy did not scan (not recognised as Kubernetes objects): the gate cannot vouch for them. */
  unscanned: ManifestDocument[];
  /** Documents Trivy did scan. */
  scanned: number;
}

/**
 * Reads the failed checks of a `trivy config` report of the files `documents` were written to, naming
 * each finding's template and object. Every document must appear among the report's results (Trivy
 * reports a result, with its pass/fail summary, for each file it recognised); those that do not are
 * returned as unscanned.
 */
export function collectMisconfigFindings(report: TrivyReport, documents: readonly ManifestDocument[]): CollectedMisconfigs {
  const byFile = new Map(documents.map((document) => [document.file, document]));
  const scanned = new Set<ManifestDocument>();
  const findings: MisconfigFinding[] = [];
  const seen = new Set<string>();
  for (const result of report.results) {
    const document = byFile.get(result.target);
    if (document) scanned.add(document);
    for (const misconfiguration of result.misconfigurations) {
      if (misconfiguration.status !== 'FAIL') continue;
      const finding: MisconfigFinding = {
        kind: 'misconfiguration',
        id: misconfiguration.id,
        severity: misconfiguration.severity,
        target: document ? (document.source ?? document.file) : result.target,
        title: misconfiguration.title,
        ...(misconfiguration.primaryUrl ? { primaryUrl: misconfiguration.primaryUrl } : {}),
        ...(misconfiguration.startLine !== undefined
          ? { location: { startLine: misconfiguration.startLine, endLine: Math.max(misconfiguration.startLine, misconfiguration.endLine ?? 0) } }
          : {}),
        resource: document ? describeObject(document) : result.target,
        message: misconfiguration.message ?? misconfiguration.title,
        resolution: misconfiguration.resolution,
      };
      const key = [result.target, finding.id, finding.location?.startLine, finding.location?.endLine, finding.message].join('\u0000');
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push(finding);
    }
  }
  return { findings, unscanned: documents.filter((document) => !scanned.has(document)), scanned: scanned.size };
}
