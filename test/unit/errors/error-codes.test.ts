import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeErrorCode, errorCodes, ExitCode, exitCodeMeanings, isKnownErrorCode } from '@slipway/core';

const packagesDir = path.resolve(import.meta.dirname, '../../../packages');

/** Every .ts file under packages/<name>/src. */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'dist') walk(full);
      else if (entry.isFile() && entry.name.endsWith('.ts')) out.push(full);
    }
  };
  for (const pkg of readdirSync(packagesDir)) walk(path.join(packagesDir, pkg, 'src'));
  return out;
}

/**
 * The error codes the sources produce, found where a code is written: the first argument of `super(…)`
 * or `new …Error(…)`, a `code:` property, `code ??`, or any literal of a `code = …` expression (a template
 * such as `AADSTS${n}` counts as its prefix).
 */
function codesUsedInSources(): Map<string, string> {
  const used = new Map<string, string>();
  const literal = /'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})'|`([A-Z][A-Z0-9_]*)\$\{/g;
  const places = [/\b(?:super|new [A-Za-z]*Error)\(\s*([^,\n)]*)/g, /\bcode\s*(?::|\?\?|=(?!=))\s*([^;\n]*)/g];
  for (const file of sourceFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const place of places) {
      for (const match of text.matchAll(place)) {
        for (const code of (match[1] ?? '').matchAll(literal)) used.set(code[1] ?? code[2] ?? '', path.relative(packagesDir, file));
      }
    }
  }
  return used;
}

describe('error codes', () => {
  it('lists every code the packages use', () => {
    const used = codesUsedInSources();
    // The search itself must work: these are produced in different ways.
    expect([...used.keys()]).toEqual(
      expect.arrayContaining(['INPUT_INVALID', 'PUSH_DIGEST_MISMATCH', 'AADSTS', 'REGISTRY_AUTH_FAILED', 'TRIVY_DB_UNAVAILABLE']),
    );
    const unlisted = [...used].filter(([code]) => !Object.hasOwn(errorCodes, code)).map(([code, file]) => `${code} (${file})`);
    expect(unlisted, 'add these to errorCodes in packages/core/src/errors/error-codes.ts').toEqual([]);
  });

  it('knows Entra codes by their prefix', () => {
    expect(isKnownErrorCode('AADSTS7000215')).toBe(true);
    expect(describeErrorCode('AADSTS700024')).toBe(errorCodes.AADSTS);
    expect(isKnownErrorCode('AADSTS')).toBe(true);
    expect(isKnownErrorCode('NOT_A_CODE')).toBe(false);
  });

  it('gives every code an exit code and a meaning', () => {
    for (const [code, info] of Object.entries(errorCodes)) {
      expect(Object.values(ExitCode), code).toContain(info.exitCode);
      expect(info.meaning.length, code).toBeGreaterThan(10);
    }
  });
});

describe('exit code meanings', () => {
  it('describe every exit code, once', () => {
    expect(Object.keys(exitCodeMeanings).map(Number).sort()).toEqual(Object.values(ExitCode).sort());
    expect(exitCodeMeanings[ExitCode.invalidInput].meaning).toBe('invalid input or configuration; nothing was changed');
  });
});
