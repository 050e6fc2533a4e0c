/**
 * Log output is data, never commands. The GitHub runner and the Azure Pipelines agent read every line a
 * step prints and act on the ones that look like commands, so a value from an input, a tool's output or
 * an error message could otherwise set an output, add a mask, raise an annotation or open a group.
 *
 * What the runner and the agent treat as a command (their sources, read for this):
 * - actions/runner (`ActionCommand.TryParseV2`): a line that starts with `::` once leading whitespace is
 *   trimmed (`TrimStart()`, so tabs, NBSP and the other Unicode spaces count as whitespace);
 * - actions/runner (`ActionCommand.TryParse`, the deprecated form): `##[` anywhere in the line;
 * - the Azure Pipelines agent (`Command.TryParse`): `##vso[` anywhere in the line; its web log renders
 *   `##[error]`, `##[group]` and the other `##[` formats too;
 * - both read their child's output with `ReadLine()`, which ends a line at `\n`, `\r\n` and a bare `\r`.
 * Their comparisons may be culture-sensitive, under which control and format characters (zero-width
 * spaces, soft hyphens) are ignorable, so those are treated as invisible when matching.
 *
 * Neutralising inserts one backslash where it breaks the marker and keeps the line readable:
 * `::set-output name=x::y` → `\::set-output name=x::y`, `##vso[task.setvariable]` → `#\#vso[task.setvariable]`,
 * `##[error]` → `#\#[error]`. Every form is neutralised in every host: a CLI run inside a workflow's
 * `run:` step or a pipeline's script step is parsed by whichever runner started it.
 *
 * Hosts use it for everything they print on the step's behalf (info, warning, error, debug, command
 * echo, group titles), never for the commands they mean to issue (add-mask, set-output, task.setvariable),
 * which their libraries write and escape.
 */
export function neutraliseLogCommands(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map(neutraliseLine)
    .join('\n');
}

/**
 * The same protection for JSON text printed on stdout (`slipway --json`), keeping it valid and equal
 * once parsed: JSON.stringify never leaves a raw line break inside a string, and pretty-printed lines
 * never begin with `::`, so only the `##` markers can occur; the second `#` is written as `\u0023`.
 */
export function neutraliseJsonLogCommands(json: string): string {
  return json.replace(hashMarker, '\\u0023');
}

/** Characters a culture-sensitive comparison may skip: controls (Cc) and formats (Cf). */
const ignorable = '[\\p{Cc}\\p{Cf}]*';

/** `##[` or `##vso[` (any case), possibly with ignorable characters between; matches the second `#` onwards. */
const hashMarker = new RegExp(`(?<=#${ignorable})#(?=${ignorable}(?:v${ignorable}s${ignorable}o${ignorable})?\\[)`, 'giu');

/** `::` at the start of a line after whitespace (Unicode spaces, NEL) or ignorable characters. */
const leadingColons = new RegExp(`^([\\s\\u0085\\p{Cc}\\p{Cf}]*)(?=:${ignorable}:)`, 'u');

function neutraliseLine(line: string): string {
  return line.replace(hashMarker, '\\#').replace(leadingColons, '$1\\');
}
