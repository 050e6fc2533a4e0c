import { describe, expect, it } from 'vitest';
import { neutraliseJsonLogCommands, neutraliseLogCommands } from '@slipway/core';
import { parseAgentCommands, parseRunnerCommands } from '../../support/host-harness.ts';

/** Lines a value could smuggle into a log, in every form the runner or the agent acts on. */
const injections = [
  '::set-output name=digest::pwned',
  '::warning::X',
  '  ::add-mask::hunter2',
  '\t::error file=a.ts::boom',
  '\u00a0::notice::nbsp is whitespace to .NET',
  '\u2003::debug::so is an em space',
  '\u0085::group::NEL too',
  '\u200b::endgroup::a zero-width space may be ignorable',
  ':\u200b:set-env name=A::ignorable between the colons',
  'text ##[set-output name=digest;]pwned',
  '##[error]Y',
  '##[group]opened',
  'prefix ##vso[task.setvariable variable=pwned]yes',
  '##VSO[task.complete result=Failed;]done',
  '#\u200b#vso[task.setsecret]x',
  '###vso[task.setvariable variable=a]b',
  '####[warning]w',
];

/** Format characters and the controls that are not line breaks, tab or NEL: what ICU collation may ignore. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what the test strips.
const withoutIgnorables = (text: string) => text.replace(/[\p{Cf}\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]/gu, '');

describe('neutraliseLogCommands', () => {
  it.each(injections)('%j is no command for the runner or the agent, alone or after a line break', (injection) => {
    for (const text of [injection, `hi\n${injection}`, `hi\r${injection}`, `hi\r\n${injection}`]) {
      const out = neutraliseLogCommands(text);
      // As read, and as a culture-sensitive comparison would see it, skipping ignorable characters.
      for (const seen of [out, withoutIgnorables(out)]) {
        expect(parseRunnerCommands(seen), JSON.stringify(seen)).toEqual([]);
        expect(parseAgentCommands(seen), JSON.stringify(seen)).toEqual([]);
      }
    }
  });

  it('the same injections do count as commands when printed as they are (the parsers are not vacuous)', () => {
    const raw = withoutIgnorables(injections.join('\n'));
    expect(parseRunnerCommands(raw).map((command) => command.command)).toEqual(
      expect.arrayContaining(['set-output', 'warning', 'add-mask', 'error', 'notice', 'debug', 'group']),
    );
    expect(parseAgentCommands(raw).map((command) => command.command)).toEqual(expect.arrayContaining(['task.setvariable']));
  });

  it.each([
    ['::set-output name=x::y', '\\::set-output name=x::y'],
    ['  ::warning::X', '  \\::warning::X'],
    ['see ##vso[task.setvariable variable=a]b', 'see #\\#vso[task.setvariable variable=a]b'],
    ['##[error]Y', '#\\#[error]Y'],
    ['a\rb', 'a\nb'],
    ['plain text: with :: inside, # and ## and [x]', 'plain text: with :: inside, # and ## and [x]'],
    ['C:\\path\\to', 'C:\\path\\to'],
  ])('%j reads as %j', (input, expected) => {
    expect(neutraliseLogCommands(input)).toBe(expected);
  });

  it('keeps JSON valid and equal once parsed, with no ##vso[ or ##[ left in the text', () => {
    const document = { echo: 'hi\n::set-output name=digest::pwned\n##vso[task.setvariable variable=pwned]yes ##[error]Y', n: 1 };
    const text = neutraliseJsonLogCommands(JSON.stringify(document, null, 2));
    expect(JSON.parse(text)).toEqual(document);
    expect(text).not.toMatch(/##(vso)?\[/i);
    expect(parseRunnerCommands(text)).toEqual([]);
    expect(parseAgentCommands(text)).toEqual([]);
  });
});
