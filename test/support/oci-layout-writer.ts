import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Writes a small but complete OCI image layout (one gzipped tar layer, a config with `label`) so tests
 * can make many images with distinct digests without a builder. Returns the manifest digest.
 */
export function writeOciImageLayout(dir: string, label: string, files?: Readonly<Record<string, string>>): string {
  const manifest = writeImage(dir, label, 'amd64', files);
  writeIndexJson(dir, { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest });
  return manifest.digest;
}

/** A multi-platform layout: one image per architecture under an OCI image index. Returns the index digest. */
export function writeOciIndexLayout(dir: string, label: string, architectures: readonly string[]): string {
  const children = architectures.map((architecture) => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...writeImage(dir, `${label}-${architecture}`, architecture),
    platform: { architecture, os: 'linux' },
  }));
  const index = putBlob(dir, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: children })));
  writeIndexJson(dir, { mediaType: 'application/vnd.oci.image.index.v1+json', ...index });
  return index.digest;
}

function putBlob(dir: string, bytes: Buffer): { digest: string; size: number } {
  mkdirSync(path.join(dir, 'blobs/sha256'), { recursive: true });
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(path.join(dir, 'blobs/sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

function writeIndexJson(dir: string, descriptor: object): void {
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [descriptor] }));
}

function writeImage(
  dir: string,
  label: string,
  architecture: string,
  files: Readonly<Record<string, string>> = { 'label.txt': `${label}\n` },
): { digest: string; size: number } {
  const put = (bytes: Buffer) => putBlob(dir, bytes);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'slipway-layer-'));
  const rootfs = path.join(scratch, 'rootfs');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(rootfs, name)), { recursive: true });
    writeFileSync(path.join(rootfs, name), content);
  }
  const tarball = path.join(scratch, 'layer.tar.gz');
  execFileSync('tar', ['--mtime=2026-01-01', '--owner=0', '--group=0', '--sort=name', '-czf', tarball, '-C', rootfs, '.']);
  const layerBytes = readFileSync(tarball);
  const diffId = createHash('sha256')
    .update(execFileSync('gzip', ['-dc', tarball]))
    .digest('hex');
  rmSync(scratch, { recursive: true, force: true });
  const layer = put(layerBytes);
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture,
        os: 'linux',
        config: { Labels: { 'com.example.label': label } },
        rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
      }),
    ),
  );
  return put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      }),
    ),
  );
}
