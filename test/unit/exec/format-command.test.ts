import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatCommand } from '@slipway/core';

describe('formatCommand', () => {
  it.each([
    [['--build-arg', 'A=1'], 'buildah --build-arg A=1'],
    [['--label', 'a b'], "buildah --label 'a b'"],
    [['--label', "it's"], "buildah --label 'it'\\''s'"],
    [['--tag', ''], "buildah --tag ''"],
    [['--build-arg', 'A=hi\n::set-output name=digest::pwned\n::warning::X'], "buildah --build-arg $'A=hi\\n::set-output name=digest::pwned\\n::warning::X'"],
    [['--label', 'a\rb\tc'], "buildah --label $'a\\rb\\tc'"],
    [['--label', "it's\nx\\y"], "buildah --label $'it\\'s\\nx\\\\y'"],
    [['--label', 'esc\u001b[31mred'], "buildah --label $'esc\\e[31mred'"],
    [['--label', 'nul\u0000del\u007fnel\u0085'], "buildah --label $'nul\\x00del\\x7fnel\\x85'"],
    [['--label', 'zw\u200bbidi\u202eline\u2028'], "buildah --label $'zw\\u200bbidi\\u202eline\\u2028'"],
    [['--label', 'café ✓'], "buildah --label 'café ✓'"],
  ])('%j renders as %s', (args, expected) => {
    expect(formatCommand('buildah', args)).toBe(expected);
  });

  it('puts one command on one line whatever the arguments hold', () => {
    const line = formatCommand('buildah', ['a\nb', 'c\rd', 'e\u2028f', 'g\u0085h']);
    expect(line.split(/\r\n|\r|\n|\u2028|\u2029|\u0085/)).toHaveLength(1);
  });

  it('is what bash reads back as the same arguments', () => {
    const args = ['A=hi\n::warning::X', "it's", 'tab\there', 'esc\u001b', 'zw\u200b', 'plain', '', 'a b'];
    const echoed = execFileSync('bash', ['-c', `printf '%s\\0' ${formatCommand('x', args).slice(2)}`], { encoding: 'utf8' });
    expect(echoed.split('\0').slice(0, -1)).toEqual(args);
  });
});
