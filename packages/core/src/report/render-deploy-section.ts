import { formatMeasuredValue } from '../canary/analysis/threshold.ts';
import { metricChartElement, weightChartElement } from './report-chart-data.ts';
import { formatDuration, formatInstant, formatOffset, parseInstant } from './report-format.ts';
import { html, type SafeHtml } from './report-html-text.ts';
import { deployTone } from './report-tone.ts';
import type { CanaryRecord, DeployRecord, MetricSeries } from './run-report.ts';

/**
 * The deploy: what was released where and how it ended, and for a canary the charts' containers (the
 * chart script fills them), each metric's samples as a table (what the chart shows, readable without
 * script and in print), the decisions and the gates.
 */
export function renderDeploy(deploy: DeployRecord): SafeHtml {
  return html`<dl class="facts">
<div><dt>Release</dt><dd><code>${deploy.release}</code></dd></div>
<div><dt>Namespace</dt><dd><code>${deploy.namespace}</code></dd></div>
<div><dt>Strategy</dt><dd>${deploy.strategy}</dd></div>
<div><dt>Result</dt><dd><span class="badge tone-${deployTone(deploy.result)}">${deploy.result}</span></dd></div>
${deploy.revision ? html`<div><dt>Revision</dt><dd>${deploy.revision}</dd></div>` : ''}
</dl>
${deploy.reason ? html`<p class="reason tone-${deployTone(deploy.result)}">${deploy.reason}</p>` : ''}
${deploy.canary ? renderCanary(deploy.canary) : ''}`;
}

function renderCanary(canary: CanaryRecord): SafeHtml {
  const origin = parseInstant(canary.startedAt);
  const end = parseInstant(canary.endedAt);
  const at = (instant: string): SafeHtml => {
    const ms = parseInstant(instant);
    return html`<span title="${formatInstant(instant)}">${ms === undefined || origin === undefined ? instant : formatOffset((ms - origin) / 1000)}</span>`;
  };
  const duration = origin !== undefined && end !== undefined ? formatDuration(end - origin) : undefined;
  return html`<section id="canary">
<h3>Canary</h3>
<p class="muted">Started ${formatInstant(canary.startedAt)}${duration ? `, ran ${duration}` : ''}. Times below are since the canary started.</p>
${canary.metrics.map((metric, index) => renderMetric(metric, index, at))}
${
  canary.weights.length > 0
    ? html`<figure class="weights"><figcaption><strong>Canary weight</strong> <span class="legend">share of traffic on the canary; dashed lines are the numbered decisions</span></figcaption>
<div class="chart" id="${weightChartElement}" role="img" aria-label="canary weight over time: ${canary.weights.map((step) => `${step.weight}%`).join(', ')}"></div></figure>`
    : ''
}
${
  canary.decisions.length > 0
    ? html`<h4>Decisions</h4><ol class="decisions">${inTimeOrder(canary.decisions).map((decision) => html`<li><span class="mono">${at(decision.at)}</span> ${decision.label}</li>`)}</ol>`
    : ''
}
${canary.gates.length > 0 ? renderGates(canary, at) : ''}
</section>`;
}

/**
 * Entries by time, unreadable times last: the order the chart numbers its decision markers in, so
 * list item 3 is marker 3.
 */
function inTimeOrder<T extends { readonly at: string }>(entries: readonly T[]): T[] {
  const key = (entry: T) => parseInstant(entry.at) ?? Number.POSITIVE_INFINITY;
  // Compared, not subtracted: Infinity - Infinity is NaN, which sort would take for "equal" inconsistently.
  return [...entries].sort((a, b) => (key(a) === key(b) ? 0 : key(a) < key(b) ? -1 : 1));
}

function renderMetric(metric: MetricSeries, index: number, at: (instant: string) => SafeHtml): SafeHtml {
  const count = (outcome: MetricSeries['samples'][number]['outcome']) => metric.samples.filter((sample) => sample.outcome === outcome).length;
  const tally = (['Pass', 'Fail', 'Error', 'NoData'] as const)
    .map((outcome) => [outcome, count(outcome)] as const)
    .filter(([, n]) => n > 0)
    .map(([outcome, n]) => `${n} ${outcome}`)
    .join(', ');
  const show = (value: number | undefined) => (value === undefined ? '' : formatMeasuredValue(metric, value));
  return html`<figure class="metric" data-metric="${metric.name}">
<figcaption><strong>${metric.name}</strong> must be <code>${metric.threshold}</code> <span class="legend">(the dashed line; limit ${show(metric.limit)}). Samples: ${tally || 'none'}.</span></figcaption>
<div class="chart" id="${metricChartElement(index)}" role="img" aria-label="${metric.name} against ${metric.threshold}"></div>
<details><summary>Samples of ${metric.name}</summary>
<table><thead><tr><th>Time</th><th class="num">Value</th><th>Outcome</th></tr></thead><tbody>
${metric.samples.map((sample) => html`<tr><td class="mono">${at(sample.at)}</td><td class="num">${show(sample.value)}</td><td>${sample.outcome}</td></tr>`)}
</tbody></table></details>
</figure>`;
}

function renderGates(canary: CanaryRecord, at: (instant: string) => SafeHtml): SafeHtml {
  return html`<h4>Gates</h4>
<table class="gates"><thead><tr><th>Time</th><th class="num">Step</th><th class="num">Weight</th><th>Gate</th><th>Verdict</th><th>Detail</th></tr></thead><tbody>
${canary.gates.map(
  (gate) =>
    html`<tr><td class="mono">${at(gate.at)}</td><td class="num">${gate.step}</td><td class="num">${gate.weight}%</td><td>${gate.gate}</td><td><span class="badge tone-${gate.passed ? 'ok' : 'bad'}">${gate.passed ? 'passed' : 'failed'}</span></td><td>${gate.detail}</td></tr>
`,
)}</tbody></table>`;
}
