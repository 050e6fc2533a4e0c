import { html, type SafeHtml } from './report-html-text.ts';
import type { ScanRecord, Severity } from './run-report.ts';

const severities: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];

/** One image's scan: the gate's verdict, its counts by severity and its worst findings. */
export function renderScan(scan: ScanRecord): SafeHtml {
  const shown = scan.findings.length;
  const findings =
    shown === 0
      ? html`<p class="muted">No findings.</p>`
      : html`<table class="findings">
<thead><tr><th>ID</th><th>Severity</th><th>Package</th><th>Installed</th><th>Fixed in</th><th>Title</th></tr></thead>
<tbody>${scan.findings.map(
          (finding) =>
            html`<tr><td class="mono">${finding.id}</td><td class="sev sev-${finding.severity}">${finding.severity}</td><td class="mono">${finding.package}</td><td class="mono">${finding.installed}</td><td class="mono">${finding.fixed || html`<span class="muted">no fix</span>`}</td><td>${finding.title}</td></tr>
`,
        )}</tbody></table>
<p class="muted">${shown < scan.totalFindings ? `The worst ${shown} of ${scan.totalFindings} findings.` : `All ${scan.totalFindings} findings, worst first.`}</p>`;
  return html`<article class="scan" data-image="${scan.image}">
<h3>${scan.image} <span class="badge tone-${scan.passed ? 'ok' : 'bad'}">${scan.passed ? 'passed' : 'blocked'}</span></h3>
<p><span class="muted">Scanned</span> <code>${scan.artifact}</code><br><span class="muted">Gate:</span> ${scan.decision}</p>
<table class="counts"><thead><tr>${severities.map((severity) => html`<th class="sev sev-${severity}">${severity}</th>`)}</tr></thead>
<tbody><tr>${severities.map((severity) => html`<td>${scan.counts[severity] ?? 0}</td>`)}</tr></tbody></table>
${findings}
</article>
`;
}
