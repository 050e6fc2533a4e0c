import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const testBaseImage = 'localhost/slipway-test-base:1';

export interface BuildahEnv {
  /** Environment for buildah and for Slipway processes that run it. */
  env: Record<string, string>;
  dir: string;
  cleanup(): void;
}

export function hasBuildah(): boolean {
  try {
    execFileSync('buildah', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A private buildah storage (vfs, chroot isolation: no daemon, no overlay mounts needed) holding a base
 * image made from Debian's busybox-static, because nothing can be pulled here.
 */
export function createBuildahEnv(): BuildahEnv {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-buildah-'));
  const storageConf = path.join(dir, 'storage.conf');
  writeFileSync(storageConf, `[storage]\ndriver = "vfs"\nrunroot = "${dir}/run"\ngraphroot = "${dir}/graph"\n`);
  const env: Record<string, string> = {
    CONTAINERS_STORAGE_CONF: storageConf,
    BUILDAH_ISOLATION: 'chroot',
    STORAGE_DRIVER: 'vfs',
  };
  const run = (...args: string[]) =>
    execFileSync('buildah', args, { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

  const rootfs = path.join(dir, 'rootfs');
  mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  mkdirSync(path.join(rootfs, 'tmp'), { recursive: true });
  copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const applet of ['sh', 'echo', 'cat', 'mkdir', 'ls', 'cp', 'wc', 'test', '[', 'true', 'printf', 'rm']) {
    symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  }
  const container = run('from', 'scratch');
  run('copy', container, `${rootfs}/`, '/');
  run('config', '--env', 'PATH=/bin', '--cmd', '/bin/sh', container);
  run('commit', '--rm', container, testBaseImage);
  return { env, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
