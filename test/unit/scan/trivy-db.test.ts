import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureTrivyDb, Trivy, TrivyDbError, type DbSupplyOptions } from '@slipway/core';
import { installFakeTrivy, type FakeTrivy } from '../tools/fake-trivy.ts';

// The DB supply against a fake `trivy` on PATH (no sandbox): what lands in the cache, which mirrors
// are asked in which order, how long it waits between attempts, and what it refuses.
const now = new Date('2026-11-24T12:00:00Z');
const hour = 3600_000;
let fake: FakeTrivy;
let cacheDir: string;

beforeEach(() => {
  fake = installFakeTrivy();
  cacheDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-db-cache-'));
});
afterEach(() => {
  fake.cleanup();
  rmSync(cacheDir, { recursive: true, force: true });
});

/** A DB already in the cache, as an earlier run left it. */
function seedCache(metadata: { UpdatedAt: string; NextUpdate: string; Version?: number }, content = 'the cached db'): void {
  mkdirSync(path.join(cacheDir, 'db'), { recursive: true });
  writeFileSync(path.join(cacheDir, 'db', 'trivy.db'), content);
  writeFileSync(path.join(cacheDir, 'db', 'metadata.json'), JSON.stringify({ Version: 2, ...metadata }));
}

function supply(overrides: Partial<DbSupplyOptions> = {}, fakeEnv: Record<string, string> = {}) {
  const slept: number[] = [];
  const warnings: string[] = [];
  const options: DbSupplyOptions = {
    cacheDir,
    repositories: ['mirror.example/a/trivy-db:2', 'mirror.example/b/trivy-db:2'],
    retries: 3,
    offline: false,
    maxAgeMs: 7 * 24 * hour,
    insecureRegistry: false,
    now,
    trivy: new Trivy(fake.runner(fakeEnv)),
    sleep: async (ms) => void slept.push(ms),
    log: { info: () => {}, warning: (message) => void warnings.push(message) },
    backoffMs: 100,
    ...overrides,
  };
  return { run: () => ensureTrivyDb(options), slept, warnings };
}

const downloads = () =>
  fake
    .calls()
    .filter((call) => call.args.includes('--download-db-only'))
    .map((call) => call.args[call.args.indexOf('--db-repository') + 1]);
const cachedDb = () => readFileSync(path.join(cacheDir, 'db', 'trivy.db'), 'utf8');

describe('Trivy DB supply (fake trivy, real process runner)', () => {
  it('reuses a cached DB that is still fresh without asking any mirror', async () => {
    seedCache({ UpdatedAt: new Date(now.getTime() - hour).toISOString(), NextUpdate: new Date(now.getTime() + hour).toISOString() });
    const result = await supply().run();
    expect(result.source).toBe('cache');
    expect(fake.calls()).toEqual([]);
    expect(cachedDb()).toBe('the cached db');
  });

  it('downloads when the cached DB is due for an update, into the cache', async () => {
    seedCache({ UpdatedAt: new Date(now.getTime() - 30 * hour).toISOString(), NextUpdate: new Date(now.getTime() - hour).toISOString() });
    const result = await supply().run();
    expect(result.source).toBe('mirror.example/a/trivy-db:2');
    expect(cachedDb()).toBe('db from mirror.example/a/trivy-db:2');
    expect(downloads()).toEqual(['mirror.example/a/trivy-db:2']);
  });

  it('tries the mirrors in order, each `retries` times with doubling backoff, and takes the first that works', async () => {
    const { run, slept, warnings } = supply({}, { FAKE_TRIVY_FAIL_REPOS: 'mirror.example/a/trivy-db:2' });
    const result = await run();
    expect(result.source).toBe('mirror.example/b/trivy-db:2');
    expect(downloads()).toEqual(['mirror.example/a/trivy-db:2', 'mirror.example/a/trivy-db:2', 'mirror.example/a/trivy-db:2', 'mirror.example/b/trivy-db:2']);
    expect(slept).toEqual([100, 200]);
    expect(warnings[0]).toContain('TOOMANYREQUESTS');
    expect(cachedDb()).toBe('db from mirror.example/b/trivy-db:2');
  });

  it('a failed, half-written download never damages the cached DB, and leaves no staging behind', async () => {
    seedCache({ UpdatedAt: new Date(now.getTime() - 30 * hour).toISOString(), NextUpdate: new Date(now.getTime() - hour).toISOString() });
    const { run, warnings } = supply({ retries: 2 }, { FAKE_TRIVY_FAIL_REPOS: '*', FAKE_TRIVY_PARTIAL: '1' });
    const result = await run();
    expect(downloads()).toHaveLength(4);
    // Within db-max-age, so the cached DB is used, untouched.
    expect(result.source).toBe('cache');
    expect(cachedDb()).toBe('the cached db');
    expect(warnings.at(-1)).toContain('every DB repository failed; scanning with the cached DB');
    expect(readdirSync(cacheDir)).toEqual(['db']);
  });

  it('refuses a cached DB older than db-max-age when every mirror fails (exit 3, never a silent pass)', async () => {
    seedCache({ UpdatedAt: new Date(now.getTime() - 10 * 24 * hour).toISOString(), NextUpdate: new Date(now.getTime() - 9 * 24 * hour).toISOString() });
    const attempt = supply({ retries: 1 }, { FAKE_TRIVY_FAIL_REPOS: '*' }).run();
    await expect(attempt).rejects.toThrow(TrivyDbError);
    await expect(attempt).rejects.toMatchObject({ code: 'TRIVY_DB_UNAVAILABLE', exitCode: 3 });
    await expect(attempt).rejects.toThrow(/mirror\.example\/a\/trivy-db:2 #1: .*TOOMANYREQUESTS[\s\S]*mirror\.example\/b\/trivy-db:2 #1/);
    expect(cachedDb()).toBe('the cached db');
  });

  it('db-max-age 0 accepts a cached DB of any age as the fallback', async () => {
    seedCache({ UpdatedAt: '2020-01-01T00:00:00Z', NextUpdate: '2020-01-02T00:00:00Z' });
    const result = await supply({ retries: 1, maxAgeMs: 0 }, { FAKE_TRIVY_FAIL_REPOS: '*' }).run();
    expect(result.source).toBe('cache');
  });

  it('a download that exits 0 but leaves no DB counts as a failed attempt', async () => {
    const attempt = supply({ retries: 1, repositories: ['mirror.example/a/trivy-db:2'] }, { FAKE_TRIVY_NO_DB: '1' }).run();
    await expect(attempt).rejects.toThrow(/left no DB/);
    expect(existsSync(path.join(cacheDir, 'db'))).toBe(false);
  });

  it('a cached DB of another schema version is not used, even when fresh', async () => {
    seedCache({ Version: 1, UpdatedAt: now.toISOString(), NextUpdate: new Date(now.getTime() + hour).toISOString() });
    const result = await supply().run();
    expect(result.source).toBe('mirror.example/a/trivy-db:2');
  });

  describe('offline', () => {
    it('uses the pre-provisioned DB, however stale its NextUpdate, without running trivy', async () => {
      seedCache({ UpdatedAt: new Date(now.getTime() - 2 * 24 * hour).toISOString(), NextUpdate: new Date(now.getTime() - 24 * hour).toISOString() });
      const result = await supply({ offline: true }).run();
      expect(result.source).toBe('cache');
      expect(fake.calls()).toEqual([]);
    });

    it('fails with how to provision when there is no DB', async () => {
      const attempt = supply({ offline: true }).run();
      await expect(attempt).rejects.toThrow(TrivyDbError);
      await expect(attempt).rejects.toMatchObject({ hint: expect.stringContaining('--download-db-only') });
      expect(fake.calls()).toEqual([]);
    });

    it('fails when the pre-provisioned DB is older than db-max-age', async () => {
      seedCache({ UpdatedAt: new Date(now.getTime() - 30 * 24 * hour).toISOString(), NextUpdate: new Date(now.getTime() - 29 * 24 * hour).toISOString() });
      await expect(supply({ offline: true }).run()).rejects.toThrow(/older than db-max-age/);
    });
  });

  it('passes registry credentials to trivy through its environment, never argv', async () => {
    await supply({ env: { TRIVY_USERNAME: 'puller', TRIVY_PASSWORD: 'pa55-w0rd-value' } }).run();
    const [call] = fake.calls().filter((c) => c.args.includes('--download-db-only'));
    expect(call?.env).toMatchObject({ TRIVY_USERNAME: 'puller', TRIVY_PASSWORD: 'pa55-w0rd-value' });
    expect(call?.args.join(' ')).not.toContain('pa55-w0rd-value');
  });
});
