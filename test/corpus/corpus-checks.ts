/**
 * What every corpus case is checked for, whichever host ran it: no stack trace in anything printed,
 * and an exit 2 that names the input that was replaced.
 */

/**
 * A V8 stack frame: `at fn (/path/file.js:12:3)`, `at file:///x.mjs:1:2`, `at async fn (node:internal/…:1:2)`.
 * A file name with a line number alone (OpenSSL's `ssl3_record.c:350:` in a TLS error) is not a frame.
 */
const stackFrame = /(?:^|\n)[ \t]*at (?:async )?(?:[^\n()]*\()?(?:file:\/\/|node:|\/|[A-Za-z]:\\)[^\n()]*:\d+:\d+\)?[ \t]*(?=\n|$)/;

/** The first stack frame in `text`, or undefined. */
export function findStackFrame(text: string): string | undefined {
  return stackFrame.exec(text)?.[0].trim();
}

/** The inputs an InvalidInputsError's message blames: each problem line starts `input '<name>': `. */
export function blamedInputs(message: string): string[] {
  return [...message.matchAll(/(?:^|\n)(?:[^\n]*?\b)?input '([^'\n]+)': /g)].map((match) => match[1] as string);
}

/**
 * How an exit-2 message names `input`: `problem` when a problem is about it (or a part of it, such as
 * `images[0].tags` for `images`); `mentioned` when a problem about another input names it as a word in
 * its text (`input 'report': give only one of layout, image or report (got image, report)`); undefined
 * when it does not name it at all.
 */
export function howNamed(message: string, input: string): 'problem' | 'mentioned' | undefined {
  const blamed = blamedInputs(message);
  if (blamed.some((name) => name === input || name.startsWith(`${input}[`) || name.startsWith(`${input}.`))) return 'problem';
  const word = new RegExp(`(^|[^\\w-])${input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^\\w-]|$)`);
  const texts = message.split('\n').map((line) => line.replace(/^[^\n]*?input '[^'\n]+': /, ''));
  return texts.some((text) => word.test(text)) ? 'mentioned' : undefined;
}
