import { afterAll, expect, it } from 'vitest';
import { chartDir, describeSandbox, kubectl, kubectlJson, podReady, run, runOk, uniqueName, waitFor, type PodList, type SandboxInfo } from './sandbox.ts';

describeSandbox('sandbox cluster and Helm', (sb: SandboxInfo) => {
  const namespaces: string[] = [];
  afterAll(async () => {
    for (const ns of namespaces) await kubectl(sb, ['delete', 'namespace', ns, '--wait=false']).catch(() => {});
  });

  it('serves the stamped Kubernetes version', async () => {
    const version = JSON.parse(await kubectl(sb, ['get', '--raw', '/version'])) as { gitVersion: string; minor: string };
    expect(version.gitVersion).toBe(sb.env.KUBE_VERSION);
    expect(version.minor).toBe(sb.env.KUBE_VERSION?.split('.')[1]);
  });

  it('has the KWOK nodes, all Ready', async () => {
    const nodes = await kubectlJson<{
      items: { metadata: { annotations?: Record<string, string> }; status: { conditions: { type: string; status: string }[] } }[];
    }>(sb, ['get', 'nodes']);
    expect(nodes.items.length).toBe(Number(sb.env.SANDBOX_NODES));
    for (const node of nodes.items) {
      expect(node.metadata.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
      expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });

  it('stamps the Helm versions', async () => {
    const v3 = await runOk(sb, sb.env.HELM3!, ['version', '--template', '{{.Version}}']);
    const v4 = await runOk(sb, sb.env.HELM4!, ['version', '--template', '{{.Version}}']);
    expect(v3).toBe(sb.env.HELM3_VERSION);
    expect(v4).toBe(sb.env.HELM4_VERSION);
  });

  for (const [label, helmVar, waitArgs] of [
    ['helm 3', 'HELM3', ['--wait']],
    ['helm 4', 'HELM4', ['--wait=watcher']],
  ] as const) {
    it(`${label} installs the fixture chart and its pods become Ready on KWOK nodes`, async () => {
      const helm = sb.env[helmVar]!;
      const ns = uniqueName(helmVar.toLowerCase());
      namespaces.push(ns);
      await runOk(
        sb,
        helm,
        ['upgrade', '--install', 'demo', chartDir, '--namespace', ns, '--create-namespace', ...waitArgs, '--timeout', '60s', '--set', 'replicas=3'],
        { timeoutMs: 90_000 },
      );
      const pods = await waitFor('3 Ready pods', async () => {
        const list = await kubectlJson<PodList>(sb, ['get', 'pods', '-n', ns, '-l', 'app.kubernetes.io/instance=demo']);
        return list.items.length === 3 && list.items.every(podReady) ? list : undefined;
      });
      const nodeNames = new Set((await kubectlJson<{ items: { metadata: { name: string } }[] }>(sb, ['get', 'nodes'])).items.map((n) => n.metadata.name));
      for (const pod of pods.items) {
        expect(pod.status.phase).toBe('Running');
        expect(nodeNames.has(pod.spec.nodeName ?? '')).toBe(true);
        expect(pod.status.containerStatuses?.[0]?.state?.running).toBeDefined();
      }
      const status = JSON.parse(await runOk(sb, helm, ['status', 'demo', '-n', ns, '-o', 'json'])) as { info: { status: string } };
      expect(status.info.status).toBe('deployed');

      // Helm test hooks complete in the sandbox (stage slipway-pod-helm-test).
      const test = await run(sb, helm, ['test', 'demo', '-n', ns, '--timeout', '30s'], { timeoutMs: 45_000 });
      expect(test.code, test.stderr).toBe(0);
      expect(test.stdout).toMatch(/Phase:\s+Succeeded/);
    });
  }

  it('pushes the chart as an OCI artifact to the TLS registry and installs it from there', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = mkdtempSync(`${os.tmpdir()}/slipway-chart-`);
    try {
      const ns = uniqueName('oci');
      namespaces.push(ns);
      const repo = `oci://${sb.env.REGISTRY}/${ns}/charts`;
      await runOk(sb, sb.env.HELM3!, ['package', chartDir, '-d', dir]);
      const push = await run(sb, sb.env.HELM3!, ['push', `${dir}/slipway-demo-0.1.0.tgz`, repo, '--ca-file', sb.env.SANDBOX_CA_CERT!]);
      expect(push.code, push.stderr).toBe(0);
      expect(push.stdout + push.stderr).toMatch(/Digest: sha256:/);
      await runOk(
        sb,
        sb.env.HELM4!,
        [
          'install',
          'fromoci',
          `${repo}/slipway-demo`,
          '--version',
          '0.1.0',
          '--ca-file',
          sb.env.SANDBOX_CA_CERT!,
          '-n',
          ns,
          '--create-namespace',
          '--wait=watcher',
          '--timeout',
          '60s',
          '--set',
          'replicas=1',
        ],
        { timeoutMs: 90_000 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails a helm test whose pod is labelled to fail', async () => {
    const ns = uniqueName('helmtest');
    namespaces.push(ns);
    await runOk(sb, sb.env.HELM3!, ['install', 'demo', chartDir, '-n', ns, '--create-namespace', '--set', 'replicas=1,tests.testResult=fail']);
    const test = await run(sb, sb.env.HELM3!, ['test', 'demo', '-n', ns, '--timeout', '30s'], { timeoutMs: 45_000 });
    expect(test.code).not.toBe(0);
    expect(test.stderr + test.stdout).toMatch(/failed/i);
  });
});
