/**
 * A fake `trivy` executable for tests that must not need the sandbox: a small Node script put first on
 * PATH and run through the real ProcessRunner, so Slipway's own code runs unchanged. It answers the
 * calls Slipway makes (`--version --format json`, `image --download-db-only`, `image ... --output`,
 * `convert`), records every call, and is told how to behave through environment variables:
 *
 * - FAKE_TRIVY_VERSION: the version it reports (default 0.74.0); below 0.63.0 it rejects the flags
 *   that version did not have yet, as the real one does.
 * - FAKE_TRIVY_FAIL_REPOS: comma-separated DB repositories whose download fails (`*`: every one).
 * - FAKE_TRIVY_PARTIAL: a failing download first leaves a half-written trivy.db behind.
 * - FAKE_TRIVY_NO_DB: a download exits 0 but writes nothing.
 * - FAKE_TRIVY_DB_UPDATED_AT / FAKE_TRIVY_DB_NEXT_UPDATE: the downloaded DB's metadata.json dates.
 * - FAKE_TRIVY_REPORT: the JSON report a scan writes to --output; FAKE_TRIVY_SCAN_FAIL: the scan fails.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProcessRunner, Redactor } from '@slipway/core';

const script = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
const env = process.env;
const pick = ['TRIVY_USERNAME', 'TRIVY_PASSWORD', 'TRIVY_SKIP_VERSION_CHECK', 'TRIVY_DISABLE_TELEMETRY'];
fs.appendFileSync(env.FAKE_TRIVY_LOG, JSON.stringify({ args, env: Object.fromEntries(pick.filter((k) => k in env).map((k) => [k, env[k]])) }) + '\n');
const flag = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const fail = (message) => { process.stderr.write(message + '\n'); process.exit(1); };
const version = env.FAKE_TRIVY_VERSION || '0.74.0';
const [major, minor] = version.split('.').map(Number);
if (major === 0 && minor < 63) {
  for (const newer of ['--skip-version-check', '--disable-telemetry']) if (args.includes(newer)) fail('FATAL flag error: unknown flag: ' + newer);
}
if (args[0] === '--version') {
  process.stdout.write(JSON.stringify({ Version: version }) + '\n');
  process.exit(0);
}
if (args[0] === 'image' && args.includes('--download-db-only')) {
  const repository = flag('--db-repository');
  const db = path.join(flag('--cache-dir'), 'db');
  const failing = (env.FAKE_TRIVY_FAIL_REPOS || '').split(',');
  if (failing.includes('*') || failing.includes(repository)) {
    if (env.FAKE_TRIVY_PARTIAL) {
      fs.mkdirSync(db, { recursive: true });
      fs.writeFileSync(path.join(db, 'trivy.db'), 'half a download');
    }
    fail('FATAL init error: DB error: failed to download vulnerability DB: ' + repository + ': TOOMANYREQUESTS: retry-after: 1ms');
  }
  if (env.FAKE_TRIVY_NO_DB) process.exit(0);
  fs.mkdirSync(db, { recursive: true });
  fs.writeFileSync(path.join(db, 'trivy.db'), 'db from ' + repository);
  const updatedAt = env.FAKE_TRIVY_DB_UPDATED_AT || new Date().toISOString();
  const nextUpdate = env.FAKE_TRIVY_DB_NEXT_UPDATE || new Date(Date.parse(updatedAt) + 24 * 3600e3).toISOString();
  fs.writeFileSync(path.join(db, 'metadata.json'), JSON.stringify({ Version: 2, NextUpdate: nextUpdate, UpdatedAt: updatedAt, DownloadedAt: updatedAt }));
  process.exit(0);
}
if (args[0] === 'image') {
  if (env.FAKE_TRIVY_SCAN_FAIL) fail('FATAL run error: image scan error: scan failed');
  fs.copyFileSync(env.FAKE_TRIVY_REPORT, flag('--output'));
  process.exit(0);
}
if (args[0] === 'convert') {
  fs.writeFileSync(flag('--output'), JSON.stringify({ bomFormat: 'CycloneDX' }));
  process.exit(0);
}
fail('fake trivy: unexpected call: ' + args.join(' '));
`;

export interface FakeTrivyCall {
  args: string[];
  env: Record<string, string>;
}

export interface FakeTrivy {
  /** A runner whose children find the fake first on PATH, behaving as `env` says. */
  runner(env?: Record<string, string>): ProcessRunner;
  /** Every call so far, oldest first. */
  calls(): FakeTrivyCall[];
  cleanup(): void;
}

export function installFakeTrivy(): FakeTrivy {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-fake-trivy-'));
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'calls.jsonl');
  // The script has no extension: Node runs it as CommonJS unless a package.json above says otherwise.
  writeFileSync(path.join(dir, 'package.json'), '{"type":"commonjs"}');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'trivy'), `#!${process.execPath}\n${script}`);
  chmodSync(path.join(bin, 'trivy'), 0o755);
  return {
    runner: (env = {}) =>
      new ProcessRunner({
        redactor: new Redactor(),
        log: { command: () => {}, debug: () => {} },
        baseEnv: { PATH: `${bin}:${process.env.PATH ?? ''}`, FAKE_TRIVY_LOG: log, ...env },
      }),
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as FakeTrivyCall)
        : [],
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
