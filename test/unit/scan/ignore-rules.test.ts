import { describe, expect, it } from 'vitest';
import { applyIgnoreRules, InputError, parseIgnoreFile, type Finding } from '@slipway/core';

const finding = (overrides: Partial<Finding>): Finding => ({
  kind: 'vulnerability',
  id: 'CVE-2024-0001',
  severity: 'HIGH',
  target: 'app (debian 12.5)',
  title: 't',
  pkgName: 'openssl',
  installedVersion: '3.0.1',
  purl: 'pkg:deb/debian/openssl@3.0.1?arch=amd64&distro=debian-12.5',
  ...overrides,
});
const now = new Date('2026-06-15T12:00:00Z');

describe('.trivyignore', () => {
  it('ignores listed ids until their exp date, then reports the entry as expired', () => {
    const rules = parseIgnoreFile(
      ['# accepted risks', 'CVE-2024-0001 exp:2026-06-15', 'CVE-2024-0002 exp:2026-06-14', '', 'CVE-2024-0003  # no expiry'].join('\n'),
      '.trivyignore',
    );
    const outcome = applyIgnoreRules(
      [finding({}), finding({ id: 'CVE-2024-0002' }), finding({ id: 'CVE-2024-0003' }), finding({ id: 'CVE-2024-0004' })],
      rules,
      now,
    );
    expect(outcome.ignored.map((entry) => entry.finding.id)).toEqual(['CVE-2024-0001', 'CVE-2024-0003']);
    expect(outcome.kept.map((f) => f.id)).toEqual(['CVE-2024-0002', 'CVE-2024-0004']);
    expect(outcome.expired.map((rule) => [rule.id, rule.origin])).toEqual([['CVE-2024-0002', '.trivyignore:3']]);
  });

  it.each([
    ['CVE-1 exp:2026-13-01', 'is not a date'],
    ['CVE-1 exp:2026-02-30', 'is not a date'],
    ['CVE-1 until:2026-01-01', 'unexpected "until:2026-01-01"'],
  ])('rejects %j naming the line', (line, message) => {
    expect(() => parseIgnoreFile(line, '.trivyignore')).toThrow(InputError);
    expect(() => parseIgnoreFile(line, '.trivyignore')).toThrow(message);
  });
});

describe('.trivyignore.yaml', () => {
  const yaml = [
    'vulnerabilities:',
    '  - id: CVE-2024-0001',
    '    purls: ["pkg:deb/debian/openssl@3.0.1"]',
    '    statement: patched in our fork',
    '    expired_at: 2027-01-01',
    '  - id: CVE-2024-0005',
    '    paths: ["usr/lib/node_modules/**/package.json"]',
    'secrets:',
    '  - id: aws-access-key-id',
    'misconfigurations:',
    'licenses:',
  ].join('\n');

  it('matches by id, kind, purl (qualifiers ignored) and path glob', () => {
    const rules = parseIgnoreFile(yaml, '.trivyignore.yaml');
    const outcome = applyIgnoreRules(
      [
        finding({}),
        finding({ pkgName: 'libssl', purl: 'pkg:deb/debian/libssl@3.0.1' }),
        finding({ id: 'CVE-2024-0005', pkgPath: 'usr/lib/node_modules/lodash/package.json' }),
        finding({ id: 'CVE-2024-0005', pkgPath: 'app/node_modules/lodash/package.json' }),
        finding({ kind: 'secret', id: 'aws-access-key-id' }),
        finding({ id: 'aws-access-key-id' }),
      ],
      rules,
      now,
    );
    expect(outcome.ignored.map(({ finding: f, rule }) => `${f.kind}:${f.id}:${f.pkgName}:${rule.statement ?? ''}`)).toEqual([
      'vulnerability:CVE-2024-0001:openssl:patched in our fork',
      'vulnerability:CVE-2024-0005:openssl:',
      'secret:aws-access-key-id:openssl:',
    ]);
    expect(outcome.kept).toHaveLength(3);
  });

  it.each([
    ['vulnerabilities: [{id: CVE-1, expired_at: "next year"}]', 'is not a date'],
    ['vulnerabilities: [{statement: x}]', 'needs an id'],
    ['vulnz: []', "unknown section 'vulnz'"],
    ['vulnerabilities: {id: x}', 'must be a list'],
    ['vulnerabilities: [', 'is not valid YAML'],
  ])('rejects %j', (text, message) => {
    expect(() => parseIgnoreFile(text, '.trivyignore.yaml')).toThrow(message);
  });
});
