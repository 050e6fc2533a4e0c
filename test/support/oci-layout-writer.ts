import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Writes a small but complete OCI image layout (one gzipped tar layer, a config with `label`) so tests
 * can make many images with distinct digests without a builder. Returns the manifest digest.
 */
export function writeOciImageLayout(dir: string, label: string): string {
  mkdirSync(path.join(dir, 'blobs/sha256'), { recursive: true });
  const put = (bytes: Buffer) => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(path.join(dir, 'blobs/sha256', hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'slipway-layer-'));
  writeFileSync(path.join(scratch, 'label.txt'), `${label}\n`);
  const tarball = path.join(scratch, 'layer.tar.gz');
  execFileSync('tar', ['--mtime=2026-01-01', '--owner=0', '--group=0', '-czf', tarball, '-C', scratch, 'label.txt']);
  const layerBytes = readFileSync(tarball);
  const diffId = createHash('sha256').update(execFileSync('gzip', ['-dc', tarball])).digest('hex');
  rmSync(scratch, { recursive: true, force: true });
  const layer = put(layerBytes);
  const config = put(Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: { 'com.example.label': label } },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
  })));
  const manifest = put(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  })));
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] }));
  return manifest.digest;
}
