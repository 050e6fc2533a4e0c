import { renderDeploy } from './render-deploy-section.ts';
import { renderScan } from './render-scan-section.ts';
import { renderStageTimeline } from './render-stage-timeline.ts';
import { buildCanaryChartData } from './report-chart-data.ts';
import { reportChartScript } from './report-chart-script.ts';
import { formatDuration, formatInstant, parseInstant } from './report-format.ts';
import { html, jsonForScriptElement, type SafeHtml, trustedHtml } from './report-html-text.ts';
import { reportStyles } from './report-styles.ts';
import { toneOf } from './report-tone.ts';
import type { RunReport, RunResult } from './run-report.ts';
import { uplotCss, uplotLicense, uplotScript, uplotVersion } from './uplot-source.generated.ts';

const resultLabels: Readonly<Record<RunResult, string>> = {
  succeeded: 'succeeded',
  'gate-failed': 'gate failed',
  'needs-human': 'needs a human',
  failed: 'failed',
  cancelled: 'cancelled',
};

/**
 * Renders a run report as one self-contained HTML page (`slipway-report.html`): a header with the
 * result, the stage timeline, each image's scan and the deploy, with a canary's metric and weight
 * charts. The page loads nothing: styles, uPlot and the chart data are inline, and uPlot (with its
 * licence) is included only when there is a chart to draw. Every string from the report is escaped,
 * and the chart data is embedded as JSON that cannot close its script element.
 */
export function renderRunReportHtml(report: RunReport): string {
  const charts = report.deploy?.canary ? buildCanaryChartData(report.deploy.canary) : undefined;
  const tone = toneOf(report.result);
  const title = `Slipway run ${resultLabels[report.result]}${report.environment ? ` (${report.environment})` : ''}`;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Slipway ${report.slipway}">
<title>${title}</title>
<style>${trustedHtml(reportStyles)}</style>
${charts ? html`<style>${trustedHtml(uplotCss)}</style>` : ''}
</head>
<body>
${renderHeader(report)}
<main>
<section id="stages"><h2>Stages</h2>
${renderStageTimeline(report)}
</section>
${report.scans.length > 0 ? html`<section id="scans"><h2>Image scans</h2>${report.scans.map(renderScan)}</section>` : ''}
${report.deploy ? html`<section id="deploy"><h2>Deploy</h2>${renderDeploy(report.deploy)}</section>` : ''}
</main>
<footer class="tone-${tone}">Written by Slipway ${report.slipway} from the same data as <code>slipway-report.json</code> (schema ${report.schemaVersion}).${
    charts ? ` Charts drawn with uPlot ${uplotVersion} (MIT licence, in the page source).` : ''
  }</footer>
${charts ? renderChartScripts(charts) : ''}
</body>
</html>
`;
  return page.value;
}

function renderHeader(report: RunReport): SafeHtml {
  const tone = toneOf(report.result);
  const started = parseInstant(report.startedAt);
  const ended = parseInstant(report.endedAt);
  const total = started !== undefined && ended !== undefined ? formatDuration(ended - started) : undefined;
  return html`<header class="tone-${tone}">
<h1>Slipway run <span class="badge tone-${tone}" id="result" data-result="${report.result}">${resultLabels[report.result]}</span>${
    report.mode === 'dry-run' ? html` <span class="badge outline tone-plan">dry run: nothing was changed</span>` : ''
  }</h1>
<dl class="facts">
<div><dt>Environment</dt><dd>${report.environment ?? html`<span class="muted">none</span>`}</dd></div>
<div><dt>Config</dt><dd><code>${report.config}</code></dd></div>
<div><dt>Started</dt><dd>${formatInstant(report.startedAt)}</dd></div>
<div><dt>Total time</dt><dd>${total ?? '?'}</dd></div>
<div><dt>Slipway</dt><dd>${report.slipway}</dd></div>
</dl>
${report.reason ? html`<p class="reason" id="reason">${report.reason}</p>` : ''}
</header>`;
}

function renderChartScripts(charts: NonNullable<ReturnType<typeof buildCanaryChartData>>): SafeHtml {
  // A `*/` in the licence would end the comment that carries it (it has none; the guard costs nothing).
  const license = uplotLicense.replaceAll('*/', '* /');
  return html`<script type="application/json" id="slipway-chart-data">${jsonForScriptElement(charts)}</script>
<script>/*! uPlot ${uplotVersion} | https://github.com/leeoniya/uPlot\n${trustedHtml(license)} */
${trustedHtml(uplotScript)}</script>
<script>${trustedHtml(reportChartScript)}</script>`;
}
