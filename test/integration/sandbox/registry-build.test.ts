import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeSandbox, run, runOk, uniqueName, type SandboxInfo } from './sandbox.ts';
import { buildTestImage, type TestImage } from './test-image.ts';

describeSandbox('sandbox registry with buildah and skopeo', (sb: SandboxInfo) => {
  let image: TestImage;
  const repo = `slipway/${uniqueName('it')}`;
  beforeAll(async () => {
    image = await buildTestImage(sb, 'registry');
  }, 180_000);
  afterAll(() => image?.cleanup());

  const certDir = () => sb.env.SANDBOX_CERT_DIR!;
  const skopeo = (args: string[]) => run(sb, sb.env.SKOPEO ?? 'skopeo', args, { env: image.env });

  it('pushes a buildah-built image over TLS and skopeo inspects it', async () => {
    const ref = `${sb.env.REGISTRY}/${repo}:1.0.0`;
    const digestFile = `${image.dir}/digest`;
    await image.buildah(['push', '--cert-dir', certDir(), '--digestfile', digestFile, image.localRef, `docker://${ref}`]);
    const inspect = await skopeo(['inspect', '--cert-dir', certDir(), `docker://${ref}`]);
    expect(inspect.code, inspect.stderr).toBe(0);
    const info = JSON.parse(inspect.stdout) as { Digest: string; Labels: Record<string, string>; Layers: string[] };
    const { readFileSync } = await import('node:fs');
    expect(info.Digest).toBe(readFileSync(digestFile, 'utf8').trim());
    expect(info.Labels['org.opencontainers.image.title']).toBe('slipway sandbox test image');
    expect(info.Layers.length).toBeGreaterThanOrEqual(2);
  });

  it('rejects an untrusted CA (TLS is real)', async () => {
    // sandbox.env's SSL_CERT_FILE (system roots + sandbox CA) would make Go trust it; use the system roots only.
    const r = await run(sb, sb.env.SKOPEO ?? 'skopeo', ['inspect', '--cert-dir', '/nonexistent-cert-dir', `docker://${sb.env.REGISTRY}/${repo}:1.0.0`], {
      env: { ...image.env, SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt' },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/certificate|x509/i);
  });

  it('serves relative upload locations and deletes manifests (what @azure/container-registry needs)', async () => {
    // NODE_EXTRA_CA_CERTS is read at start-up, so check Node's trust in a child process.
    const script = `
      const base = process.env.REGISTRY_URL;
      const up = await fetch(base + '/v2/${repo}/blobs/uploads/', { method: 'POST' });
      const head = await fetch(base + '/v2/${repo}/manifests/1.0.0', { method: 'HEAD',
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
      const digest = head.headers.get('docker-content-digest');
      const del = await fetch(base + '/v2/${repo}/manifests/' + digest, { method: 'DELETE' });
      const after = await fetch(base + '/v2/${repo}/manifests/1.0.0', { method: 'HEAD' });
      console.log(JSON.stringify({ up: up.status, location: up.headers.get('location'), head: head.status, del: del.status, after: after.status }));`;
    const out = await runOk(sb, process.execPath, ['--input-type=module', '-e', script]);
    const r = JSON.parse(out) as { up: number; location: string; head: number; del: number; after: number };
    expect(r.up).toBe(202);
    expect(r.location.startsWith(`/v2/${repo}/blobs/uploads/`)).toBe(true);
    expect(r.head).toBe(200);
    expect(r.del).toBe(202);
    expect(r.after).toBe(404);
  });

  it('the auth instance needs the basic-auth credentials', async () => {
    const ref = `${sb.env.REGISTRY_AUTH}/${repo}-auth:1`;
    const denied = await run(sb, sb.env.BUILDAH!, ['push', '--cert-dir', certDir(), image.localRef, `docker://${ref}`], { env: image.env });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/unauthorized|authentication required/i);
    const creds = `${sb.env.REGISTRY_AUTH_USER}:${sb.env.REGISTRY_AUTH_PASSWORD}`;
    await image.buildah(['push', '--cert-dir', certDir(), '--creds', creds, image.localRef, `docker://${ref}`]);
    const inspect = await skopeo(['inspect', '--cert-dir', certDir(), '--creds', creds, `docker://${ref}`]);
    expect(inspect.code, inspect.stderr).toBe(0);
  });

  it('has the sandbox base image for FROM lines', async () => {
    const r = await skopeo(['inspect', '--cert-dir', certDir(), `docker://${sb.env.SANDBOX_BASE_IMAGE}`]);
    expect(r.code, r.stderr).toBe(0);
  });
});
