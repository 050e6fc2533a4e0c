import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ExecError,
  Helm,
  KubeApi,
  parseSmokeChecks,
  InputProblems,
  ProcessRunner,
  Redactor,
  runHelmTest,
  runSmokeChecks,
  type SmokeReport,
} from '@slipway/core';
import { chartDir, describeSandbox, kubectl, repoRoot, runOk, uniqueName, waitFor, type SandboxInfo } from '../sandbox/sandbox.ts';

/**
 * The API server refuses to proxy to loopback (and link-local) addresses, and KWOK pods have made-up
 * IPs: the test's own server listens on an address of this machine that the API server will proxy to.
 */
function proxyableAddress(): string | undefined {
  for (const entries of Object.values(os.networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === 'IPv4' && !entry.internal && !entry.address.startsWith('169.254.')) return entry.address;
    }
  }
  return undefined;
}

const address = proxyableAddress();

describeSandbox('smoke against the sandbox cluster', (sb: SandboxInfo) => {
  let server: Server;
  let port = 0;
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  const namespaces: string[] = [];
  const kubeconfig = sb.env.KUBECONFIG as string;

  beforeAll(async () => {
    if (!address) return;
    server = createServer((request, response) => {
      seen.push({ path: request.url ?? '', headers: request.headers });
      const healthy = !request.url?.startsWith('/down');
      response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: healthy ? 'ok' : 'down', path: request.url }));
    });
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    for (const ns of namespaces) await kubectl(sb, ['delete', 'namespace', ns, '--wait=false']).catch(() => {});
  });

  const newNamespace = async (prefix: string) => {
    const ns = uniqueName(prefix);
    namespaces.push(ns);
    await kubectl(sb, ['create', 'namespace', ns]);
    return ns;
  };

  /**
   * A Service without a selector whose one endpoint is this test's server. The API server proxies only
   * to an endpoint address that is the IP of the Pod its targetRef names (pkg/registry/core/service
   * isValidAddress), so a Pod that is never scheduled (a scheduling gate: no KWOK node takes it over)
   * is given this machine's address as its IP.
   */
  const backendService = async (ns: string, name: string) => {
    const apply = (manifest: unknown) =>
      runOk(sb, sb.env.KUBECTL ?? 'kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], { input: JSON.stringify(manifest) });
    const pod = `${name}-test-server`;
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod, namespace: ns },
      spec: { schedulingGates: [{ name: 'slipway.dev/not-scheduled' }], containers: [{ name: 'server', image: 'none' }] },
    });
    await kubectl(sb, [
      'patch',
      'pod',
      pod,
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { podIP: address, podIPs: [{ ip: address }] } }),
    ]);
    await apply({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { ports: [{ name: 'http', port: 80, targetPort: port }] } },
        {
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: { name, namespace: ns },
          subsets: [{ addresses: [{ ip: address, targetRef: { kind: 'Pod', name: pod, namespace: ns } }], ports: [{ name: 'http', port }] }],
        },
      ],
    });
    await waitFor(`the API server to proxy to ${name}`, async () =>
      (await kubectl(sb, ['get', '--raw', `/api/v1/namespaces/${ns}/services/${name}:http/proxy/ready`]).catch(() => undefined)) ? true : undefined,
    );
  };

  const checks = (yaml: string) => {
    const problems = new InputProblems();
    const parsed = parseSmokeChecks(yaml, { input: 'checks', problems });
    expect(problems.list).toEqual([]);
    return parsed;
  };

  it('reaches a Service through the API server proxy, by port name and number, headers forwarded and secrets masked', async (context) => {
    if (!address) context.skip(`this machine has no non-loopback IPv4 address for the API server to proxy to: ${JSON.stringify(os.networkInterfaces())}`);
    const ns = await newNamespace('smoke-proxy');
    await backendService(ns, 'web');
    const kube = await KubeApi.open({ kubeconfigFile: kubeconfig, timeoutMs: 30_000, signal: new AbortController().signal });
    const lines: string[] = [];
    const apiKey = 'key-5f4e3d2c1b0a';
    const result = await runSmokeChecks(
      checks(`
- name: by-name
  service: web:http
  path: /healthz?deep=1
  headers: { X-Api-Key: ${apiKey} }
  json-path: $.status
  json-equals: ok
  max-latency: 5s
- name: by-number
  service: web:80
  namespace: ${ns}
  path: /down
  retries: 1
  retry-delay: 100ms
- name: no-such-service
  service: nothing:80
  retries: 0
`),
      {
        deadlineMs: 30_000,
        log: { info: (line) => lines.push(line) },
        setSecret: () => {},
        signal: new AbortController().signal,
        serviceProxy: kube,
        defaultNamespace: ns,
      },
    );
    const [byName, byNumber, missing] = result.checks;
    expect(byName).toMatchObject({ passed: true, status: 200, attempts: 1, target: `GET service ${ns}/web:http/healthz?deep=1` });
    expect(seen.find((request) => request.path === '/healthz?deep=1')?.headers['x-api-key']).toBe(apiKey);
    expect(byNumber).toMatchObject({ passed: false, status: 503, attempts: 2 });
    expect(byNumber?.failures[0]).toMatch(/^status 503 not in 2xx: \{"status":"down"/);
    expect(missing).toMatchObject({ passed: false, status: 404 });
    expect(lines.join('\n')).not.toContain(apiKey);
  });

  for (const [label, variable] of [
    ['helm 3', 'HELM3'],
    ['helm 4', 'HELM4'],
  ] as const) {
    it(`${label}: helm test passes, then fails naming the test pod`, { timeout: 180_000 }, async () => {
      const helmPath = sb.env[variable] as string;
      const ns = await newNamespace(`smoke-${variable.toLowerCase()}`);
      const install = (set: string) =>
        runOk(sb, helmPath, ['upgrade', '--install', 'demo', chartDir, '-n', ns, '--kubeconfig', kubeconfig, '--set', set], { timeoutMs: 90_000 });
      const runner = new ProcessRunner({ redactor: new Redactor(), log: { command: () => {}, debug: () => {} }, baseEnv: process.env });
      const helm = new Helm(runner, helmPath);
      const lines: string[] = [];
      const options = { release: 'demo', namespace: ns, kubeconfig, timeoutMs: 60_000, log: { info: (line: string) => lines.push(line) } };

      await install('replicas=1');
      const passed = await runHelmTest(helm, options);
      // KWOK pods have no logs: Helm exits 1 for --logs, and the tests still count as passed.
      expect(passed).toMatchObject({ passed: true, tests: [{ name: 'demo-slipway-demo-test', phase: 'Succeeded', passed: true }] });

      await install('replicas=1,tests.testResult=fail');
      const failed = await runHelmTest(helm, options);
      expect(failed).toMatchObject({ passed: false, tests: [{ name: 'demo-slipway-demo-test', phase: 'Failed', passed: false }] });
      expect(lines).toContain('smoke: [helm test] demo-slipway-demo-test: Failed');

      // No such release: Helm never got to the tests, which is an error (exit 3), not a failed gate.
      await expect(runHelmTest(helm, { ...options, release: 'absent' })).rejects.toThrow(ExecError);
      await expect(runHelmTest(helm, { ...options, release: 'absent' })).rejects.toThrow(/release: not found/);
    });
  }

  /** `slipway smoke ...` from the sources (tsx), as a user runs the CLI: exit code, the --json document, and everything printed. */
  const cli = (inputs: Record<string, string>, helmPath: string) =>
    new Promise<{
      exitCode: number;
      stdout: string;
      stderr: string;
      doc: { exitCode: number; outputs: Record<string, string>; problems?: { input: string }[]; result?: SmokeReport };
    }>((resolve, reject) => {
      const args = [
        '--import',
        'tsx',
        path.join(repoRoot, 'packages/cli/src/bin.ts'),
        'smoke',
        ...Object.entries(inputs).flatMap(([name, value]) => [`--${name}`, value]),
        '--json',
      ];
      const child = spawn(process.execPath, args, {
        cwd: repoRoot,
        env: {
          HOME: process.env.HOME ?? '/root',
          PATH: [path.dirname(helmPath), path.dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
          NODE_EXTRA_CA_CERTS: sb.env.NODE_EXTRA_CA_CERTS ?? '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => {
        try {
          resolve({ exitCode: code ?? -1, stdout, stderr, doc: JSON.parse(stdout) });
        } catch {
          reject(new Error(`slipway smoke printed no JSON (exit ${code}):\n${stdout}\n${stderr}`));
        }
      });
    });

  it('the step end to end through the CLI: service checks and helm test pass (exit 0), a failing check fails the gate (exit 1), bad input sends nothing (exit 2)', {
    timeout: 240_000,
  }, async (context) => {
    if (!address) context.skip('this machine has no non-loopback IPv4 address for the API server to proxy to');
    const helmPath = sb.env.HELM4 as string;
    const ns = await newNamespace('smoke-cli');
    await backendService(ns, 'web');
    await runOk(sb, helmPath, ['upgrade', '--install', 'demo', chartDir, '-n', ns, '--kubeconfig', kubeconfig, '--set', 'replicas=1'], { timeoutMs: 90_000 });
    const cluster = { kubeconfig, namespace: ns };
    // Names that would be workflow commands if a host printed them at the start of a line.
    const checksYaml = `- name: "::error::injected"\n  service: web:http\n  path: /healthz\n- name: "##vso[task.setvariable variable=x]y"\n  service: web:80\n  json-path: $.status\n  json-equals: ok\n`;

    const passing = await cli({ ...cluster, checks: checksYaml, release: 'demo', 'helm-test': 'true', deadline: '90s' }, helmPath);
    expect(passing.exitCode, passing.stderr).toBe(0);
    expect(passing.doc.outputs).toMatchObject({ result: 'passed', passed: '3', failed: '0' });
    const report = JSON.parse(passing.doc.outputs.report ?? '') as SmokeReport;
    expect(report.helmTest).toMatchObject({ release: 'demo', passed: true, tests: [{ name: 'demo-slipway-demo-test', phase: 'Succeeded' }] });
    expect(report.checks.every((check) => check.latencyMs !== undefined)).toBe(true);
    for (const line of `${passing.stdout}\n${passing.stderr}`.split(/\r?\n/)) {
      expect(line.trimStart().startsWith('::')).toBe(false);
      expect(line).not.toContain('##vso[');
    }

    const failing = await cli({ ...cluster, url: `http://${address}:${port}/down`, deadline: '20s' }, helmPath);
    expect(failing.exitCode, failing.stderr).toBe(1);
    expect(failing.doc.outputs).toMatchObject({ result: 'failed', passed: '0', failed: '1' });
    expect(failing.stderr).toContain('status 503 not in 2xx');

    const before = seen.length;
    const bad = await cli(
      { ...cluster, url: 'ftp://example.com/', checks: '- { name: a, service: web:http, colour: red }', 'helm-test': 'true', deadline: 'soon' },
      helmPath,
    );
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("input 'url'");
    expect(bad.stderr).toContain("input 'checks[0].colour'");
    expect(bad.stderr).toContain("input 'release'");
    expect(bad.stderr).toContain("input 'deadline'");
    expect(seen.length).toBe(before);
  });
});
