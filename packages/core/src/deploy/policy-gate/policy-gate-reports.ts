import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeFindingPlace } from '../../steps/scan/findings.ts';
import { renderJunitReport } from '../../steps/scan/reports/junit-report.ts';
import { escapeCell, renderSeverityTable } from '../../steps/scan/reports/markdown-report.ts';
import { renderSarifReport } from '../../steps/scan/reports/sarif-report.ts';
import type { ScanSummary } from '../../steps/scan/scan-summary.ts';
import { severities } from '../../steps/scan/severity.ts';
import type { PolicyGateSummary } from './policy-gate-summary.ts';
import { describeObject } from './split-manifest.ts';

/** Reports the gate can write: Trivy's own JSON, SARIF (code scanning), JUnit (Tests tab), the markdown summary. */
export type PolicyGateReportFormat = 'json' | 'sarif' | 'junit' | 'markdown';

/** Where to write each report that is wanted. */
export type PolicyGateReportRequest = Partial<Record<PolicyGateReportFormat, string>>;

export interface PolicyGateReportContext {
  /** What was checked, for titles: `release web (chart ./charts/web)`. */
  artifact: string;
  trivyVersion: string | undefined;
}

/**
 * The summary in the shape scan's renderers take, so SARIF and JUnit come from the very findings the gate
 * counted (as scan's do) and cannot disagree with its verdict.
 */
export function policyGateAsScanSummary(summary: PolicyGateSummary, context: PolicyGateReportContext): ScanSummary {
  return {
    artifact: context.artifact,
    trivyVersion: context.trivyVersion,
    decision: { passed: summary.passed, reason: summary.reason, broken: summary.decision.broken },
    findings: summary.findings,
    counts: summary.counts,
    shownSeverities: [...severities],
    gatedSeverities: summary.gatedSeverities,
    ignored: summary.ignored,
    expiredRules: summary.expiredRules,
    unfixedSkipped: 0,
  };
}

/** The job summary: verdict, counts per severity, the worst findings with object, place and what to change. */
export function renderPolicyGateMarkdown(summary: PolicyGateSummary, context: PolicyGateReportContext, topN = 10): string {
  const verdict = summary.passed ? '✅ passed' : '❌ failed';
  const lines = [
    `### Slipway policy gate ${verdict}: \`${escapeCell(context.artifact)}\``,
    '',
    `${escapeCell(summary.reason)} · ${summary.scanned} object(s) checked${context.trivyVersion ? ` · Trivy ${context.trivyVersion}` : ''}`,
    '',
    ...renderSeverityTable(summary),
  ];
  if (summary.findings.length > 0) {
    lines.push(
      '',
      `#### ${Math.min(topN, summary.findings.length)} worst of ${summary.findings.length}`,
      '',
      '| severity | check | object | where | finding |',
      '|---|---|---|---|---|',
    );
    for (const finding of summary.findings.slice(0, topN)) {
      const id = finding.primaryUrl ? `[${escapeCell(finding.id)}](${finding.primaryUrl})` : escapeCell(finding.id);
      const advice = finding.resolution ? ` — ${finding.resolution}` : '';
      lines.push(
        `| ${finding.severity} | ${id} | ${escapeCell(finding.resource)} | ${escapeCell(describeFindingPlace(finding))} | ${escapeCell(`${finding.message}${advice}`)} |`,
      );
    }
  }
  if (summary.unscanned.length > 0) {
    lines.push('', '#### Not scanned by Trivy', '');
    for (const document of summary.unscanned) lines.push(`- ${escapeCell(describeObject(document))} (\`${escapeCell(document.source ?? document.file)}\`)`);
  }
  if (summary.expiredRules.length > 0) {
    lines.push('', '#### Expired ignores (no longer ignoring)', '');
    for (const rule of summary.expiredRules)
      lines.push(`- \`${escapeCell(rule.id)}\` expired ${rule.expiresAt?.toISOString().slice(0, 10)} (${escapeCell(rule.origin)})`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes the reports asked for and returns where each one went. `trivyReport` is Trivy's JSON as the gate
 * read it (none when the chart rendered nothing to scan); its copy leaves out `CauseMetadata.Code`, where
 * Trivy quotes the manifest lines a finding is about: rendered values (env, ConfigMaps) can hold secrets.
 */
export async function writePolicyGateReports(
  summary: PolicyGateSummary,
  request: PolicyGateReportRequest,
  context: PolicyGateReportContext & { trivyReport: string | undefined; markdown: string },
): Promise<PolicyGateReportRequest> {
  const written: PolicyGateReportRequest = {};
  if (request.json && context.trivyReport !== undefined) {
    const withoutCode: unknown = JSON.parse(context.trivyReport, (key, value: unknown) => (key === 'Code' ? undefined : value));
    written.json = await writeReport(request.json, `${JSON.stringify(withoutCode, null, 2)}\n`);
  }
  const asScan = policyGateAsScanSummary(summary, context);
  if (request.sarif) written.sarif = await writeReport(request.sarif, `${JSON.stringify(renderSarifReport(asScan), null, 2)}\n`);
  if (request.junit) written.junit = await writeReport(request.junit, renderJunitReport(asScan));
  if (request.markdown) written.markdown = await writeReport(request.markdown, context.markdown);
  return written;
}

async function writeReport(file: string, content: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}
