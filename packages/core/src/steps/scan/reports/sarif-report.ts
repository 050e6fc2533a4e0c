import type { Finding } from '../findings.ts';
import type { ScanSummary } from '../scan-summary.ts';
import type { Severity } from '../severity.ts';

/**
 * SARIF 2.1.0 for GitHub code scanning, rendered from the same findings the gate counted, so the report
 * can never disagree with the verdict (trivy-action's `severity` is silently ignored for SARIF unless
 * limit-severities-for-sarif is set: aquasecurity/trivy-action#228, #309). Findings filtered by `severity`
 * are left out, as in every other report.
 */
export function renderSarifReport(summary: ScanSummary): object {
  const shown = summary.findings.filter((finding) => summary.shownSeverities.includes(finding.severity));
  const rules = new Map<string, { index: number; finding: Finding }>();
  for (const finding of shown) if (!rules.has(finding.id)) rules.set(finding.id, { index: rules.size, finding });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Trivy',
            fullName: 'Trivy vulnerability scanner (gated by Slipway)',
            informationUri: 'https://github.com/aquasecurity/trivy',
            ...(summary.trivyVersion ? { version: summary.trivyVersion } : {}),
            rules: [...rules.values()].map(({ finding }) => ({
              id: finding.id,
              name: finding.kind,
              shortDescription: { text: finding.title },
              fullDescription: { text: finding.title },
              defaultConfiguration: { level: sarifLevel(finding.severity) },
              ...(finding.primaryUrl ? { helpUri: finding.primaryUrl } : {}),
              help: {
                text: helpText(finding),
                markdown: helpText(finding),
              },
              properties: {
                'security-severity': securitySeverity[finding.severity],
                precision: 'very-high',
                tags: [finding.kind, 'security', finding.severity],
              },
            })),
          },
        },
        results: shown.map((finding) => ({
          ruleId: finding.id,
          ruleIndex: rules.get(finding.id)?.index ?? 0,
          level: sarifLevel(finding.severity),
          message: { text: resultMessage(finding) },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: artifactUri(finding), uriBaseId: 'ROOTPATH' },
                // Code scanning needs a region; findings without lines (packages) point at the start.
                region: { startLine: finding.location?.startLine ?? 1, startColumn: 1, endLine: finding.location?.endLine ?? 1, endColumn: 1 },
              },
              message: { text: `${summary.artifact}: ${finding.pkgName ?? finding.target}@${finding.installedVersion ?? ''}` },
            },
          ],
        })),
        originalUriBaseIds: { ROOTPATH: { uri: 'file:///' } },
      },
    ],
  };
}

/** GitHub code scanning maps security-severity scores onto its own levels (>=9 critical, >=7 high, ...). */
const securitySeverity: Record<Severity, string> = { CRITICAL: '9.5', HIGH: '8.0', MEDIUM: '5.5', LOW: '2.0', UNKNOWN: '0.0' };

function sarifLevel(severity: Severity): 'error' | 'warning' | 'note' {
  if (severity === 'CRITICAL' || severity === 'HIGH') return 'error';
  if (severity === 'MEDIUM') return 'warning';
  return 'note';
}

function resultMessage(finding: Finding): string {
  if (finding.kind !== 'vulnerability') return `${finding.severity} ${finding.id}: ${finding.title} (${finding.target})`;
  return `Package: ${finding.pkgName}\nInstalled Version: ${finding.installedVersion}\nVulnerability ${finding.id}\nSeverity: ${finding.severity}\nFixed Version: ${finding.fixedVersion ?? 'none'}\nLink: ${finding.primaryUrl ?? ''}`;
}

function helpText(finding: Finding): string {
  return `${finding.id} (${finding.severity}): ${finding.title}${finding.fixedVersion ? `. Fixed in ${finding.fixedVersion}.` : '.'}`;
}

function artifactUri(finding: Finding): string {
  const raw = finding.pkgPath ?? finding.target;
  // Targets such as "image (debian 12.5)" are not paths; code scanning still needs a relative URI.
  return (
    raw
      .replace(/\s*\(.*\)$/, '')
      .replace(/^\/+/, '')
      .replace(/[^A-Za-z0-9._/@-]/g, '_') || 'image'
  );
}
