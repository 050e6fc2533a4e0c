/**
 * Renders argv for a log line, quoting only what a reader would misread. Never used to run anything.
 * One command is always one line: an argument holding a newline, a carriage return or any other control
 * or invisible character is shown in bash's `$'…'` form (`$'A=hi\n::warning::x'`), so a value can never
 * start a line of its own in the log — where a runner would read it as a workflow command — nor hide
 * part of the command behind a carriage return or a bidirectional override.
 */
export function formatCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map(quoteForDisplay).join(' ');
}

/** Control (Cc), format (Cf: zero-width, bidi), surrogate, private and unassigned code points; line and paragraph separators. */
const invisible = /[\p{C}\p{Zl}\p{Zp}]/u;

function quoteForDisplay(arg: string): string {
  if (arg === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  if (invisible.test(arg)) return ansiCQuote(arg);
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

const namedEscapes: Readonly<Record<string, string>> = {
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\u0007': '\\a',
  '\b': '\\b',
  '\u001b': '\\e',
  '\f': '\\f',
  '\v': '\\v',
  '\\': '\\\\',
  "'": "\\'",
};

/** bash's ANSI-C quoting: what a shell would read back as the same bytes, and what a reader can see. */
function ansiCQuote(arg: string): string {
  let out = "$'";
  for (const char of arg) {
    const named = namedEscapes[char];
    if (named) out += named;
    else if (invisible.test(char)) out += codePointEscape(char.codePointAt(0) ?? 0);
    else out += char;
  }
  return `${out}'`;
}

function codePointEscape(codePoint: number): string {
  if (codePoint < 0x100) return `\\x${codePoint.toString(16).padStart(2, '0')}`;
  if (codePoint < 0x10000) return `\\u${codePoint.toString(16).padStart(4, '0')}`;
  return `\\U${codePoint.toString(16).padStart(8, '0')}`;
}
