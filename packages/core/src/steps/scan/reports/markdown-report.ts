import { describeFindingPlace } from '../findings.ts';
import { rankFindings, type ScanSummary } from '../scan-summary.ts';
import { severities, type Severity, type SeverityCounts } from '../severity.ts';

/** The job summary: verdict, counts per severity, the worst findings with the version that fixes them. */
export function renderMarkdownReport(summary: ScanSummary, topN = 10): string {
  const verdict = summary.decision.passed ? '✅ passed' : '❌ failed';
  const lines = [
    `### Slipway scan ${verdict}: \`${escapeCell(summary.artifact)}\``,
    '',
    `${summary.decision.reason}${summary.trivyVersion ? ` · Trivy ${summary.trivyVersion}` : ''}`,
    '',
    ...renderSeverityTable(summary),
  ];
  if (summary.unfixedSkipped > 0) lines.push('', `${summary.unfixedSkipped} finding(s) without a fix were left out (ignore-unfixed).`);
  const shown = rankFindings(summary.findings.filter((finding) => summary.shownSeverities.includes(finding.severity)));
  if (shown.length > 0) {
    lines.push(
      '',
      `#### ${Math.min(topN, shown.length)} worst of ${shown.length}`,
      '',
      '| severity | id | package | installed | fixed in | target |',
      '|---|---|---|---|---|---|',
    );
    for (const finding of shown.slice(0, topN)) {
      const id = finding.primaryUrl ? `[${escapeCell(finding.id)}](${finding.primaryUrl})` : escapeCell(finding.id);
      lines.push(
        `| ${finding.severity} | ${id} | ${escapeCell(finding.pkgName ?? finding.kind)} | ${escapeCell(finding.installedVersion ?? '')} | ${escapeCell(finding.fixedVersion ?? '—')} | ${escapeCell(describeFindingPlace(finding))} |`,
      );
    }
  }
  if (summary.expiredRules.length > 0) {
    lines.push('', '#### Expired ignores (no longer ignoring)', '');
    for (const rule of summary.expiredRules)
      lines.push(`- \`${escapeCell(rule.id)}\` expired ${rule.expiresAt?.toISOString().slice(0, 10)} (${escapeCell(rule.origin)})`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The per-severity table of scan and the policy gate: findings, ignored, and whether the policy gates
 * that severity, worst first.
 */
export function renderSeverityTable(summary: {
  counts: SeverityCounts;
  ignored: ReadonlyArray<{ finding: { severity: Severity } }>;
  gatedSeverities: readonly Severity[];
}): string[] {
  const lines = ['| severity | findings | ignored | gated |', '|---|---:|---:|:---:|'];
  for (const severity of [...severities].reverse()) {
    const ignored = summary.ignored.filter((entry) => entry.finding.severity === severity).length;
    lines.push(`| ${severity} | ${summary.counts[severity]} | ${ignored} | ${summary.gatedSeverities.includes(severity) ? '●' : ''} |`);
  }
  return lines;
}

/** Text for a Markdown table cell: pipes would end the cell and line breaks the row. */
export function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
