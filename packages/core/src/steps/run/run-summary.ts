import type { RunReport } from '../../report/run-report.ts';

const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/**
 * The run's job summary: the verdict, one row per stage with its time, where the reports are, and
 * then the summaries the scan and deploy steps write themselves (the same a step run alone writes).
 */
export function renderRunSummary(report: RunReport, files: { json: string; html: string }, stageSummaries: readonly string[]): string {
  const total = Date.parse(report.endedAt) - Date.parse(report.startedAt);
  const lines = [
    `### Slipway run${report.environment ? ` (${report.environment})` : ''}: ${report.result}${report.mode === 'dry-run' ? ' (dry run: nothing changed)' : ''}`,
    '',
  ];
  if (report.reason) lines.push(`**Why:** ${escapeCell(report.reason)}`, '');
  lines.push('| stage | status | time | detail |', '|---|---|---:|---|');
  for (const stage of report.stages) {
    const time = stage.durationMs === undefined ? '' : `${(stage.durationMs / 1000).toFixed(1)} s`;
    lines.push(`| ${stage.id} | ${stage.status} | ${time} | ${escapeCell(stage.detail)} |`);
  }
  lines.push(`| **total** | | **${(total / 1000).toFixed(1)} s** | |`, '');
  lines.push(`Report: \`${files.html}\` (self-contained HTML: stage timeline, scans, canary metric charts) and \`${files.json}\`.`, '');
  for (const summary of stageSummaries) lines.push(summary.replace(/^### /gm, '#### '), '');
  return lines.join('\n');
}
