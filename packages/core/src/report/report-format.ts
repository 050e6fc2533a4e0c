import type { MetricSeries } from './run-report.ts';

/**
 * How the report writes figures and times. Instants are shown in UTC so a report reads the same on
 * every machine that opens it; offsets inside a run are shown relative to its start.
 */

/** Milliseconds since the epoch, or undefined for a missing or unreadable timestamp. */
export function parseInstant(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `2025-03-01 14:02:05 UTC`; the text as given when it is not a timestamp. */
export function formatInstant(text: string): string {
  const ms = parseInstant(text);
  if (ms === undefined) return text;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `850 ms`, `12.3 s`, `2 m 05 s`, `1 h 02 m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} m ${pad2(seconds % 60)} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${pad2(minutes % 60)} m`;
}

/** An offset from a start, as a clock: `+0:00`, `+4:30`, `+1:02:03`. */
export function formatOffset(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `+${h}:${pad2(m)}:${pad2(s)}` : `+${m}:${pad2(s)}`;
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * The factor from a measured value (the query's units: a ratio, seconds) to the unit its threshold was
 * written in, which is how people read it: 0.004 with `%` is 0.4, 0.25 s with `ms` is 250.
 */
const displayFactor: Readonly<Record<MetricSeries['unit'], number>> = { '%': 100, ms: 1000, s: 1, m: 1 / 60, '': 1 };

/** A measured value in its threshold's unit, as a number for a chart (rounded past float noise: 0.07 * 100 is 7). */
export function toDisplayUnit(unit: MetricSeries['unit'], value: number): number {
  return Number((value * displayFactor[unit]).toPrecision(12));
}
