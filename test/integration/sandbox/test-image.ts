/**
 * Builds the sandbox's test image with buildah, daemon-less: a private vfs storage in a temp dir,
 * chroot isolation, a base image made locally from Debian's busybox-static
 * (test/sandbox/base-rootfs.sh), and an app layer that carries node_modules/lodash 4.17.11.
 * The base's dpkg status lists zlib1g 1:1.2.13.dfsg-1, so the fixture Trivy DB
 * (test/fixtures/trivy-db) reports CVE-2099-1001 (HIGH), CVE-2099-1002 (CRITICAL) and
 * CVE-2099-1003 (LOW, unfixed) for it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, runOk, type SandboxInfo } from './sandbox.ts';

export interface TestImage {
  dir: string;
  /** Environment that points buildah/skopeo at the private storage. */
  env: Record<string, string>;
  /** Local name of the built image in that storage. */
  localRef: string;
  buildah(args: string[]): Promise<string>;
  cleanup(): void;
}

export async function buildTestImage(sb: SandboxInfo, tag = 'test'): Promise<TestImage> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-sandbox-image-'));
  const storageConf = path.join(dir, 'storage.conf');
  writeFileSync(storageConf, `[storage]\ndriver = "vfs"\ngraphroot = "${dir}/graph"\nrunroot = "${dir}/run"\n`);
  const env = { CONTAINERS_STORAGE_CONF: storageConf, BUILDAH_ISOLATION: 'chroot', STORAGE_DRIVER: 'vfs' };
  const buildah = (args: string[]) => runOk(sb, sb.env.BUILDAH ?? 'buildah', args, { env, timeoutMs: 120_000 });

  const rootfs = path.join(dir, 'rootfs');
  await runOk(sb, 'bash', [path.join(repoRoot, 'test/sandbox/base-rootfs.sh'), rootfs]);
  const baseRef = `localhost/slipway-sandbox-base:${tag}`;
  const ctr = (await buildah(['from', 'scratch'])).trim();
  await buildah(['copy', ctr, `${rootfs}/`, '/']);
  await buildah(['config', '--cmd', '["/bin/sh"]', '--env', 'PATH=/usr/local/bin:/usr/bin:/bin', ctr]);
  await buildah(['commit', '-q', '--rm', ctr, baseRef]);

  const context = path.join(dir, 'context');
  mkdirSync(path.join(context, 'node_modules/lodash'), { recursive: true });
  writeFileSync(
    path.join(context, 'node_modules/lodash/package.json'),
    JSON.stringify({ name: 'lodash', version: '4.17.11', license: 'MIT', main: 'lodash.js' }, null, 2),
  );
  writeFileSync(path.join(context, 'node_modules/lodash/lodash.js'), 'module.exports = {};\n');
  writeFileSync(path.join(context, 'app.sh'), '#!/bin/sh\necho slipway sandbox app\n');
  writeFileSync(
    path.join(context, 'Containerfile'),
    [
      `FROM ${baseRef}`,
      'COPY node_modules /app/node_modules',
      'COPY app.sh /app/app.sh',
      'LABEL org.opencontainers.image.title="slipway sandbox test image"',
      'CMD ["/bin/sh", "/app/app.sh"]',
      '',
    ].join('\n'),
  );
  const localRef = `localhost/slipway-sandbox-app:${tag}`;
  await buildah(['bud', '--pull=never', '--layers=false', '-q', '-f', path.join(context, 'Containerfile'), '-t', localRef, context]);
  return {
    dir,
    env,
    localRef,
    buildah,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
