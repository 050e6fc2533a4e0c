import { formatDuration, parseInstant } from './report-format.ts';
import { html, type SafeHtml } from './report-html-text.ts';
import { toneOf } from './report-tone.ts';
import type { RunReport, StageRecord } from './run-report.ts';

interface TimedStage {
  readonly start: number;
  readonly end: number;
}

/**
 * The stage timeline: one row per stage, in the report's order, with a bar placed by its start and end
 * relative to the run's start (a Gantt chart in CSS, so per-image stages that ran in parallel overlap).
 * A skipped or planned stage, or one without readable times, has a labelled placeholder instead.
 */
export function renderStageTimeline(report: RunReport): SafeHtml {
  if (report.stages.length === 0) return html`<p class="muted">No stage ran.</p>`;
  const timed = new Map(report.stages.map((stage) => [stage, timesOf(stage)] as const));
  const span = runWindow(
    report,
    [...timed.values()].filter((times): times is TimedStage => times !== undefined),
  );
  const rows = report.stages.map((stage) => renderStage(stage, timed.get(stage), span));
  return html`${span ? renderAxis(span) : ''}<ol class="timeline">${rows}</ol>`;
}

/** Statuses the row already says well enough: a green bar, or the placeholder naming the status. */
const quietStatuses: ReadonlySet<StageRecord['status']> = new Set(['succeeded', 'planned', 'skipped']);

function renderStage(stage: StageRecord, times: TimedStage | undefined, span: TimedStage | undefined): SafeHtml {
  const tone = toneOf(stage.status);
  const duration = stage.durationMs ?? (times ? times.end - times.start : undefined);
  let track: SafeHtml;
  if (times && span && stage.status !== 'planned' && stage.status !== 'skipped') {
    const total = span.end - span.start;
    const left = clampPercent(((times.start - span.start) / total) * 100);
    const width = Math.min(100 - left, clampPercent(((times.end - times.start) / total) * 100));
    track = html`<span class="bar" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%" title="${stage.status}"></span>`;
  } else {
    track = html`<span class="bar-none">${stage.status}</span>`;
  }
  return html`<li class="stage tone-${tone}" data-stage="${stage.id}" data-status="${stage.status}">
<span class="stage-name">${stage.id}</span><span class="track">${track}</span><span class="stage-time">${duration === undefined ? '' : formatDuration(duration)}</span>
<span class="stage-detail">${quietStatuses.has(stage.status) ? '' : html`<strong>${stage.status}</strong>${stage.detail ? ': ' : ''}`}${stage.detail}</span></li>
`;
}

/** Ticks under the timeline, at each quarter of the run. */
function renderAxis(span: TimedStage): SafeHtml {
  const total = span.end - span.start;
  const ticks = [0, 25, 50, 75, 100].map((percent) => html`<span style="left:${percent}%">${formatDuration((total * percent) / 100)}</span>`);
  return html`<div class="axis" aria-hidden="true"><span></span><span class="axis-ticks">${ticks}</span><span></span></div>`;
}

function timesOf(stage: StageRecord): TimedStage | undefined {
  const start = parseInstant(stage.startedAt);
  if (start === undefined) return undefined;
  const end = parseInstant(stage.endedAt) ?? (stage.durationMs === undefined ? undefined : start + stage.durationMs);
  return end === undefined ? undefined : { start, end: Math.max(start, end) };
}

/** From the run's start to the later of its end and its last stage's end; undefined when nothing is timed. */
function runWindow(report: RunReport, stages: readonly TimedStage[]): TimedStage | undefined {
  if (stages.length === 0) return undefined;
  const start = Math.min(parseInstant(report.startedAt) ?? Number.POSITIVE_INFINITY, ...stages.map((stage) => stage.start));
  const end = Math.max(parseInstant(report.endedAt) ?? start, ...stages.map((stage) => stage.end));
  // A run that took no measurable time still gets a non-zero width to divide by.
  return { start, end: end > start ? end : start + 1 };
}

function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, value));
}
