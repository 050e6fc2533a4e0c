import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runProcess, type ProcessOutcome } from '../../support/host-harness.ts';
import { describeSandbox, type SandboxInfo } from '../sandbox/sandbox.ts';
import { bundleAksHosts, runGitHubJob, type AksHosts } from './aks-hosts.ts';
import { clusterInputs, sandboxAks, type SandboxAks } from './sandbox-aks.ts';

/**
 * A stand-in for kubelogin's `get-token --login spn` (kubelogin itself is not in the sandbox): reads the
 * flags and the AAD_SERVICE_PRINCIPAL_CLIENT_SECRET variable kubelogin reads, asks the Entra double for
 * `<server-id>/.default` with the client credentials grant as kubelogin does, prints a v1beta1
 * ExecCredential, and records its argv and the names of its variables for the test.
 */
const fakeKubelogin = `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
const flag = (name) => args[args.indexOf('--' + name) + 1];
fs.appendFileSync(process.env.FAKE_KUBELOGIN_LOG, JSON.stringify({ args, env: Object.keys(process.env) }) + '\\n');
if (args[0] !== 'get-token' || flag('login') !== 'spn') { console.error('unsupported: ' + args.join(' ')); process.exit(1); }
const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: flag('client-id'), client_secret: process.env.AAD_SERVICE_PRINCIPAL_CLIENT_SECRET || '', scope: flag('server-id') + '/.default' });
fetch(process.env.FAKE_KUBELOGIN_AUTHORITY + '/' + flag('tenant-id') + '/oauth2/v2.0/token', { method: 'POST', body })
  .then((response) => response.json())
  .then((token) => {
    if (!token.access_token) { console.error(JSON.stringify(token)); process.exit(1); }
    const expirationTimestamp = new Date(Date.now() + 600000).toISOString().replace(/\\.\\d+Z$/, 'Z');
    process.stdout.write(JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', spec: {}, status: { token: token.access_token, expirationTimestamp } }));
  });
`;

describeSandbox('aks-context with kube-auth kubelogin', (sb: SandboxInfo) => {
  let aks: SandboxAks;
  let hosts: AksHosts;
  let dir: string;
  let bin: string;
  let log: string;

  beforeAll(async () => {
    aks = sandboxAks(sb);
    dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-aks-kubelogin-'));
    bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'kubelogin'), fakeKubelogin);
    chmodSync(path.join(bin, 'kubelogin'), 0o755);
    log = path.join(dir, 'kubelogin.log');
    hosts = await bundleAksHosts(path.join(dir, 'hosts'));
  }, 180_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a non-interactive kubelogin entry (spn, the secret in the 0600 file only), which the check and later steps run', async () => {
    const env = { ...aks.baseEnv, PATH: `${bin}:${aks.baseEnv.PATH}`, FAKE_KUBELOGIN_LOG: log, FAKE_KUBELOGIN_AUTHORITY: aks.doublesUrl };
    const inputs = {
      ...clusterInputs(aks, aks.entraCluster, aks.bound.clientId),
      auth: 'client-secret',
      'client-secret': aks.bound.clientSecret,
      'kube-auth': 'kubelogin',
    };
    const run = await runGitHubJob(
      hosts.github,
      inputs,
      env,
      async (stepEnv) => {
        const kubeconfig = stepEnv.KUBECONFIG ?? '';
        const kubectl: ProcessOutcome = await runProcess(aks.kubectl, ['get', 'ns', '-o', 'name'], stepEnv);
        return {
          kubectl,
          text: readFileSync(kubeconfig, 'utf8'),
          mode: statSync(kubeconfig).mode & 0o777,
          files: existsSync(path.join(path.dirname(kubeconfig), 'kube-token.json')),
        };
      },
      (main) => [path.dirname(main.outputs.kubeconfig ?? '/nonexistent/x')],
    );
    const later = run.later as { kubectl: ProcessOutcome; text: string; mode: number; files: boolean };
    expect(run.main.exitCode, run.main.stdout).toBe(0);
    expect(run.main.outputs.user).toBe(aks.bound.objectId);
    expect(later.kubectl.exitCode, later.kubectl.stderr).toBe(0);
    expect(later.mode).toBe(0o600);
    // kubelogin signs in: no Slipway plugin config is written.
    expect(later.files).toBe(false);
    const exec = parse(later.text).users[0].user.exec;
    expect(exec.command).toBe(path.join(bin, 'kubelogin'));
    expect(exec.args).toEqual([
      'get-token',
      '--server-id',
      aks.serverAppId,
      '--environment',
      'AzurePublicCloud',
      '--login',
      'spn',
      '--client-id',
      aks.bound.clientId,
      '--tenant-id',
      aks.tenantId,
    ]);
    expect(exec.env).toEqual([{ name: 'AAD_SERVICE_PRINCIPAL_CLIENT_SECRET', value: aks.bound.clientSecret }]);

    // Run by the check and by kubectl, never with the secret in argv.
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { args: string[]; env: string[] });
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) {
      expect(call.args.join(' ')).not.toContain(aks.bound.clientSecret);
      expect(call.env).toContain('AAD_SERVICE_PRINCIPAL_CLIENT_SECRET');
    }
    expect(run.post.exitCode).toBe(0);
    expect(run.leftAfterPost).toEqual([]);
  });

  it('without kubelogin on PATH: exit 3 before anything is fetched', async () => {
    const run = await runProcess(
      process.execPath,
      [
        hosts.cli,
        'aks-context',
        ...Object.entries({ ...clusterInputs(aks, aks.entraCluster, aks.bound.clientId), auth: 'client-secret', 'kube-auth': 'kubelogin' })
          .flat()
          .map((part, index) => (index % 2 === 0 ? `--${part}` : part)),
      ],
      { ...aks.baseEnv, PATH: '/usr/bin:/bin', SLIPWAY_CLIENT_SECRET: aks.bound.clientSecret, TMPDIR: mkdtempSync(path.join(dir, 'tmp-')) },
    );
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain("'kubelogin' was not found on PATH");
    expect(run.stderr).not.toContain('Fetch the kubeconfig');
  });
});
