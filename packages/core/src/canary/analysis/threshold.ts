import { InputError } from '../../errors/index.ts';

/** The comparisons a threshold may use. */
export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==';

/**
 * The unit the limit was written in. It only changes how the limit is read (`1%` is 0.01, `300ms` is
 * 0.3 seconds) and how measured values are shown; the comparison is always in the query's own units.
 */
export type ThresholdUnit = '%' | 'ms' | 's' | 'm' | '';

/**
 * A parsed metric threshold: the condition a measured value must meet for the measurement to Pass.
 * Data, not code: parse once with {@link parseThreshold}, evaluate with {@link meetsThreshold}.
 */
export interface Threshold {
  /** Normalised text, e.g. `<= 1%`, for logs and summaries. */
  readonly text: string;
  readonly operator: ThresholdOperator;
  /** The limit in the query's units: a ratio for `%` (1% is 0.01), seconds for durations. */
  readonly limit: number;
  readonly unit: ThresholdUnit;
}

const operators: readonly ThresholdOperator[] = ['<=', '>=', '==', '<', '>'];

/** The factor from the written unit to the query's units (durations in seconds, as Prometheus reports them). */
const unitScale: Record<ThresholdUnit, number> = { '%': 0.01, ms: 0.001, s: 1, m: 60, '': 1 };

const example = 'write e.g. `<= 1%`, `< 0.5`, `>= 99.5%`, `< 300ms` or `== 0`';

/**
 * Parses a threshold: an operator (`<`, `<=`, `>`, `>=`, `==`) and a number with an optional unit:
 * `%` (a ratio: `<= 1%` passes 0.004), `ms`, `s` or `m` (durations, compared in seconds as Prometheus
 * reports them: `< 300ms` passes 0.25). Throws an InputError for `input` naming what is wrong.
 */
export function parseThreshold(text: string, input = 'threshold'): Threshold {
  const trimmed = text.trim();
  if (trimmed === '') throw new InputError(input, `is empty; ${example}`);
  const match = /^([<>=!]+)?\s*(.*)$/s.exec(trimmed);
  const rawOperator = match?.[1];
  const rest = (match?.[2] ?? '').trim();
  if (rawOperator === undefined) {
    throw new InputError(input, `${JSON.stringify(trimmed)} has no comparison; ${example}`);
  }
  const operator = operators.find((known) => known === rawOperator);
  if (operator === undefined) {
    const suggestion =
      rawOperator === '='
        ? " (use '==' to compare for equality)"
        : rawOperator === '=<'
          ? " (did you mean '<='?)"
          : rawOperator === '=>'
            ? " (did you mean '>='?)"
            : '';
    throw new InputError(input, `unknown comparison '${rawOperator}' in ${JSON.stringify(trimmed)}${suggestion}; known: <, <=, >, >=, ==`);
  }
  if (rest === '') throw new InputError(input, `${JSON.stringify(trimmed)} has no value after '${operator}'; ${example}`);
  const number = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*(.*)$/i.exec(rest);
  if (!number) throw new InputError(input, `${JSON.stringify(rest)} in ${JSON.stringify(trimmed)} is not a number; ${example}`);
  const [, digits = '', rawUnit = ''] = number;
  const unit = (['%', 'ms', 's', 'm', ''] as const).find((known) => known === rawUnit.toLowerCase());
  if (unit === undefined) {
    throw new InputError(
      input,
      `unknown unit '${rawUnit}' in ${JSON.stringify(trimmed)}; known: % (a ratio), ms, s, m (durations, compared in seconds), or none`,
    );
  }
  const written = Number(digits);
  if (!Number.isFinite(written)) throw new InputError(input, `${digits} in ${JSON.stringify(trimmed)} is too large`);
  return { text: `${operator} ${formatNumber(written)}${unit}`, operator, limit: written * unitScale[unit], unit };
}

/** True when `value` (in the query's units) meets the threshold. NaN never does. */
export function meetsThreshold(threshold: Threshold, value: number): boolean {
  const { operator, limit } = threshold;
  // A limit written in % or ms is scaled by a power of ten, so `== 1%` must still match 0.01 exactly
  // as Prometheus prints it; compare with a tolerance far below any meaningful metric resolution.
  const equal = Math.abs(value - limit) <= Math.abs(limit) * 1e-12;
  switch (operator) {
    case '<':
      return value < limit && !equal;
    case '<=':
      return value <= limit || equal;
    case '>':
      return value > limit && !equal;
    case '>=':
      return value >= limit || equal;
    case '==':
      return equal;
  }
}

/** A measured value (in the query's units) in the threshold's unit: `0.004` -> `0.4%`, `0.25` -> `250ms`. */
export function formatMeasuredValue(threshold: Pick<Threshold, 'unit'>, value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return `${formatNumber(value / unitScale[threshold.unit])}${threshold.unit}`;
}

/**
 * One log line's worth: `0.4% <= 1%` when the value meets the threshold, `20% is not <= 1%` when it
 * does not.
 */
export function describeThreshold(threshold: Threshold, value: number): string {
  const shown = formatMeasuredValue(threshold, value);
  return meetsThreshold(threshold, value) ? `${shown} ${threshold.text}` : `${shown} is not ${threshold.text}`;
}

/** Up to four significant digits, no exponent for everyday magnitudes, no trailing zeros. */
function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1000 && magnitude < 1e15) return String(Math.round(value * 10) / 10);
  if (magnitude !== 0 && magnitude < 1e-6) return value.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(value.toPrecision(4)));
}
