import type { ManifestDiff, ManifestDiffHunk, ManifestObjectChange, ManifestObjectDiff } from './manifest-diff.ts';

const headerSigns: Record<ManifestObjectChange, string> = { added: '+', removed: '-', changed: '~', unchanged: ' ' };

/** At most this many hook or duplicate names on one line; the rest are counted. */
const maxNamesListed = 10;

/**
 * The diff as the log prints it, no colours: one header line per added, removed or changed object
 * (`~ Deployment/web (changed)`), the hunks of a changed one indented under it, notes on duplicates and
 * hooks, and a total (`3 objects change: 1 added, 1 changed, 1 removed; 4 unchanged`). Unchanged objects
 * are only counted.
 */
export function formatManifestDiff(diff: ManifestDiff): string {
  const lines: string[] = [];
  for (const object of diff.objects) {
    if (object.change === 'unchanged') continue;
    lines.push(`${headerSigns[object.change]} ${object.id} (${object.change})`);
    for (const hunk of object.hunks) lines.push(...hunkLines(hunk).map((line) => `    ${line}`));
  }
  lines.push(...notes(diff, (id) => id));
  lines.push(summariseManifestDiff(diff));
  return lines.join('\n');
}

export interface ManifestDiffMarkdownOptions {
  /**
   * Longest Markdown returned, in characters; 60,000 by default, well under the 1 MiB GitHub allows a
   * step summary, and more than anyone reads in one.
   */
  maxChars?: number;
}

const defaultMaxChars = 60_000;
/** Room kept for the note that says what was cut. */
const cutNoteRoom = 300;
/** A diff block cut shorter than this is no help: leave it out whole. */
const minLinesWorthShowing = 5;

/**
 * The diff for a job summary: the total, a table of added and removed objects, and a ```diff block per
 * changed object. When it would be longer than `maxChars`, table rows and diff lines are cut and a last
 * line says how many, and that the log has the whole diff.
 */
export function formatManifestDiffMarkdown(diff: ManifestDiff, options: ManifestDiffMarkdownOptions = {}): string {
  const budget = new Budget(Math.max(options.maxChars ?? defaultMaxChars, 0) - cutNoteRoom);
  budget.add(summariseManifestDiff(diff));
  for (const note of notes(diff, code)) budget.add(note);

  const addedOrRemoved = diff.objects.filter((object) => object.change === 'added' || object.change === 'removed');
  let rowsCut = 0;
  if (addedOrRemoved.length > 0 && budget.add('| Change | Object | Template |\n| --- | --- | --- |')) {
    for (const object of addedOrRemoved) {
      if (rowsCut > 0 || !budget.add(tableRow(object), '\n')) rowsCut += 1;
    }
  } else {
    rowsCut = addedOrRemoved.length;
  }

  let objectsCut = 0;
  let linesCut = 0;
  for (const object of diff.objects) {
    if (object.change !== 'changed') continue;
    const lines = object.hunks.flatMap(hunkLines);
    const shown = objectsCut > 0 ? 0 : budget.addDiffBlock(`${code(object.id)} (changed)`, lines);
    if (shown < lines.length) {
      linesCut += lines.length - shown;
      if (shown === 0) objectsCut += 1;
    }
  }

  const cut = describeCut(rowsCut, objectsCut, linesCut);
  return cut ? `${budget.text()}\n\n${cut}` : budget.text();
}

/** `3 objects change: 1 added, 1 changed, 1 removed; 4 unchanged`, or `no objects change; 4 unchanged`. */
function summariseManifestDiff(diff: ManifestDiff): string {
  const { added, changed, removed, unchanged } = diff.counts;
  const changing = added + changed + removed;
  if (changing === 0) return `no objects change; ${unchanged} unchanged`;
  const parts = (
    [
      ['added', added],
      ['changed', changed],
      ['removed', removed],
    ] as const
  )
    .filter(([, count]) => count > 0)
    .map(([change, count]) => `${count} ${change}`);
  return `${changing} ${changing === 1 ? 'object changes' : 'objects change'}: ${parts.join(', ')}; ${unchanged} unchanged`;
}

/** Duplicates and hooks, which the reader must not miss: a copy paired by position, objects not compared. */
function notes(diff: ManifestDiff, name: (id: string) => string): string[] {
  const lines = diff.duplicates.map(
    ({ manifest, ids }) =>
      `note: the ${manifest} manifest has ${ids.length} copies of ${name(ids[0] ?? '')}, kept apart as ${ids.map(name).join(', ')}; ` +
      'each is compared with the copy at the same place in the other manifest',
  );
  const hookIds = [...new Set(diff.hooks.map((hook) => hook.id))];
  if (hookIds.length > 0) {
    const listed = hookIds.slice(0, maxNamesListed).map(name).join(', ');
    const more = hookIds.length > maxNamesListed ? ` and ${hookIds.length - maxNamesListed} more` : '';
    lines.push(`not compared: ${hookIds.length} ${hookIds.length === 1 ? 'hook' : 'hooks'} (helm get manifest leaves hooks out): ${listed}${more}`);
  }
  return lines;
}

function hunkLines(hunk: ManifestDiffHunk): string[] {
  // As GNU diff and jsdiff's formatPatch write it: an empty side starts at the line before.
  const oldStart = hunk.oldLines === 0 ? hunk.oldStart - 1 : hunk.oldStart;
  const newStart = hunk.newLines === 0 ? hunk.newStart - 1 : hunk.newStart;
  return [`@@ -${oldStart},${hunk.oldLines} +${newStart},${hunk.newLines} @@`, ...hunk.lines];
}

function tableRow(object: ManifestObjectDiff): string {
  return `| ${object.change} | ${cell(code(object.id))} | ${object.source ? cell(code(object.source)) : ''} |`;
}

function describeCut(rows: number, objects: number, lines: number): string | undefined {
  const parts: string[] = [];
  if (rows > 0) parts.push(`${rows} ${rows === 1 ? 'row' : 'rows'} of the table`);
  if (lines > 0) {
    const whole = objects > 0 ? `, ${objects} changed ${objects === 1 ? 'object' : 'objects'} not shown at all` : '';
    parts.push(`${lines} diff ${lines === 1 ? 'line' : 'lines'}${whole}`);
  }
  return parts.length === 0 ? undefined : `_Cut to fit the summary: ${parts.join('; ')}. The job log has the whole diff._`;
}

/** An inline code span that survives backticks in the text. */
function code(text: string): string {
  const fence = '`'.repeat(longestBacktickRun(text) + 1);
  return fence.length > 1 || text.startsWith('`') || text.endsWith('`') ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}

/** Markdown built piece by piece, each piece only when it fits. */
class Budget {
  private readonly pieces: string[] = [];
  private used = 0;

  constructor(private readonly limit: number) {}

  /** Appends `piece` after `separator` (a blank line by default) if it fits; says whether it did. */
  add(piece: string, separator = '\n\n'): boolean {
    const cost = (this.pieces.length === 0 ? 0 : separator.length) + piece.length;
    if (this.used + cost > this.limit) return false;
    this.pieces.push(this.pieces.length === 0 ? piece : `${separator}${piece}`);
    this.used += cost;
    return true;
  }

  /** A title and a ```diff block of as many of `lines` as fit; how many did (0: nothing was added). */
  addDiffBlock(title: string, lines: readonly string[]): number {
    const fence = '`'.repeat(Math.max(3, ...lines.map((line) => longestBacktickRun(line) + 1)));
    const block = (shown: number) => {
      // The cut note sits inside the block so that it reads as part of this object's diff.
      const cutNote = shown < lines.length ? `\n… ${lines.length - shown} more lines of this diff cut` : '';
      return `${title}\n\n${fence}diff\n${lines.slice(0, shown).join('\n')}${cutNote}\n${fence}`;
    };
    if (this.add(block(lines.length))) return lines.length;
    // Too long: find the most lines that fit, from the lengths alone rather than by building each try.
    let room = this.limit - this.used - block(0).length - 2;
    let shown = 0;
    while (shown < lines.length && room >= (lines[shown]?.length ?? 0) + 1) {
      room -= (lines[shown]?.length ?? 0) + 1;
      shown += 1;
    }
    if (shown < minLinesWorthShowing) return 0;
    // The count in the cut note may be a digit longer than the one block(0) measured.
    for (; shown >= minLinesWorthShowing; shown -= 1) if (this.add(block(shown))) return shown;
    return 0;
  }

  text(): string {
    return this.pieces.join('');
  }
}
