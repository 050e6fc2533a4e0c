/**
 * The actions run by a real runner implementation: nektos/act in host mode (`-P ubuntu-latest=-self-hosted`)
 * runs test/fixtures/workflows/build-scan-push.yml, which chains ./actions/build, ./actions/scan and
 * ./actions/push through the runner's own plumbing (action.yml parsing, INPUT_* variables, the
 * GITHUB_OUTPUT file, `steps.<id>.outputs` expressions, secrets masking, `::error::` commands).
 *
 * act host mode runs a `node24` action with the `node` it finds on PATH (`node -e
 * console.log(process.execPath)`, nektos/act pkg/runner/run_context.go), so the committed bundle
 * (actions/_bundle/slipway.mjs) runs here on the machine's Node 20, as it would on an older runner.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeSandbox, run, type SandboxInfo } from '../integration/sandbox/sandbox.ts';
import { repoRoot } from '../support/host-harness.ts';
import { describeWithTools } from '../support/test-tools.ts';

const workflow = 'test/fixtures/workflows/build-scan-push.yml';
const buildToken = 'act-tok-5d2e-91fa-never-log';

interface ActRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The steps context the workflow's last step writes: what the runner handed from step to step. */
interface StepsReport {
  [id: string]: { outcome: string; conclusion: string; outputs: Record<string, string> };
}

describeWithTools('the actions under nektos/act (host mode)', ['act'], (tools) => {
  let workspace: string;
  let actHome: string;

  beforeAll(() => {
    // A repository as a user would have it: the committed actions, the workflow, the app to build.
    workspace = mkdtempSync(path.join(os.tmpdir(), 'slipway-act-ws-'));
    cpSync(path.join(repoRoot, 'actions'), path.join(workspace, 'actions'), { recursive: true });
    mkdirSync(path.join(workspace, '.github/workflows'), { recursive: true });
    cpSync(path.join(repoRoot, workflow), path.join(workspace, '.github/workflows', path.basename(workflow)));
    cpSync(path.join(repoRoot, 'test/fixtures/apps/hello'), path.join(workspace, 'app'), { recursive: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: workspace, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('-c', 'user.email=t@example.test', '-c', 'user.name=t', 'commit', '-q', '-m', 'init');
    // act reads ~/.actrc and $XDG_CONFIG_HOME/act/actrc (extra flags) and caches under $XDG_CACHE_HOME/act:
    // a private home keeps a developer's settings out of the test and the test's files out of their home.
    actHome = mkdtempSync(path.join(os.tmpdir(), 'slipway-act-home-'));
  });
  afterAll(() => {
    for (const dir of [workspace, actHome]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `act push -j <job>` on the workflow, with vars and secrets (secret values only through the env). */
  function act(job: string, vars: Record<string, string>, secrets: Record<string, string>, env: Record<string, string>): Promise<ActRun> {
    const args = [
      'push',
      '--directory',
      workspace,
      '--workflows',
      `.github/workflows/${path.basename(workflow)}`,
      '--job',
      job,
      '--platform',
      'ubuntu-latest=-self-hosted',
      // act's artifact cache server is for actions/cache; nothing here uses it, so it is not started.
      '--no-cache-server',
      ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}=${value}`]),
      // `--secret NAME` without a value: act reads it from its environment, never from argv.
      ...Object.keys(secrets).flatMap((name) => ['--secret', name]),
    ];
    return new Promise((resolve, reject) => {
      const child = spawn(tools.act, args, {
        cwd: workspace,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: actHome,
          XDG_CONFIG_HOME: path.join(actHome, '.config'),
          XDG_CACHE_HOME: path.join(actHome, '.cache'),
          // act otherwise asks api.nektosact.com for version notices on every run (cmd/notices.go).
          ACT_DISABLE_VERSION_CHECK: '1',
          ...env,
          ...secrets,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  it('a bad input fails the step with an ::error naming the input, and the job fails', async () => {
    const result = await act('bad-input', { REGISTRY: '127.0.0.1:9' }, {}, {});
    const log = result.stdout + result.stderr;
    expect(result.code, log).not.toBe(0);
    expect(log).toContain(`::error::input 'builder': expected one of auto, buildx, buildah, got "kaniko"`);
    expect(log).toContain('Failure - Main ./actions/build');
    expect(log).toContain("Job 'bad-input' failed");
    // act loaded action.yml: a metadata file it refuses never gets as far as running the bundle.
    expect(log).not.toContain('expressions are not allowed here');
  }, 120_000);

  describeSandbox('build, scan and push chained by the runner, against the sandbox', (sb: SandboxInfo) => {
    let storage: string;
    let trivyCache: string;
    let doubles: {
      tenantId: string;
      authorityHost: string;
      registry: { loginServer: string };
      apps: Array<{ name: string; clientId: string; secrets: string[] }>;
    };

    beforeAll(() => {
      // Private buildah storage holding the Containerfile's default base (localhost/slipway-test-base:1),
      // made from test/sandbox/base-rootfs.sh: busybox plus a Debian dpkg status, so Trivy finds the
      // fixture DB's zlib1g findings in the built image.
      storage = mkdtempSync(path.join(os.tmpdir(), 'slipway-act-storage-'));
      writeFileSync(path.join(storage, 'storage.conf'), `[storage]\ndriver = "vfs"\ngraphroot = "${storage}/graph"\nrunroot = "${storage}/run"\n`);
      const buildah = (...args: string[]) =>
        execFileSync(sb.env.BUILDAH ?? 'buildah', args, {
          env: { ...process.env, ...buildahEnv() },
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }).trim();
      execFileSync('bash', [path.join(repoRoot, 'test/sandbox/base-rootfs.sh'), path.join(storage, 'rootfs')]);
      const container = buildah('from', 'scratch');
      buildah('copy', container, `${path.join(storage, 'rootfs')}/`, '/');
      buildah('config', '--env', 'PATH=/bin', '--cmd', '/bin/sh', container);
      buildah('commit', '-q', '--rm', container, 'localhost/slipway-test-base:1');

      // Trivy locks its cache DB: this run gets its own copy of the sandbox's offline DB.
      trivyCache = mkdtempSync(path.join(os.tmpdir(), 'slipway-act-trivy-'));
      cpSync(path.join(sb.env.TRIVY_CACHE_DIR as string, 'db'), path.join(trivyCache, 'db'), { recursive: true });
      doubles = JSON.parse(readFileSync(sb.env.AZURE_DOUBLES_JSON as string, 'utf8'));
    }, 180_000);
    afterAll(() => {
      for (const dir of [storage, trivyCache]) if (dir) rmSync(dir, { recursive: true, force: true });
    });

    function buildahEnv(): Record<string, string> {
      return { CONTAINERS_STORAGE_CONF: path.join(storage, 'storage.conf'), BUILDAH_ISOLATION: 'chroot', STORAGE_DRIVER: 'vfs' };
    }

    it('outputs flow build -> scan -> push: the pushed digest is the built one, the scan counts are the seeded ones', async () => {
      const ci = doubles.apps.find((app) => app.name === 'ci');
      const clientSecret = ci?.secrets[0] ?? '';
      const login = doubles.registry.loginServer;
      const reportFile = path.join(actHome, 'steps.json');
      const result = await act(
        'pipeline',
        {
          REGISTRY: login,
          TRIVY_CACHE_DIR: trivyCache,
          AZURE_TENANT_ID: doubles.tenantId,
          AZURE_CLIENT_ID: ci?.clientId ?? '',
          AZURE_AUTHORITY_HOST: doubles.authorityHost,
          REPORT_FILE: reportFile,
        },
        { BUILD_TOKEN: buildToken, AZURE_CLIENT_SECRET: clientSecret },
        {
          ...buildahEnv(),
          // Trivy comes from PATH, as aquasecurity/setup-trivy would leave it; Node trusts the sandbox CA.
          PATH: `${path.dirname(sb.env.TRIVY as string)}:${process.env.PATH}`,
          NODE_EXTRA_CA_CERTS: sb.env.SANDBOX_CA_CERT as string,
          SSL_CERT_FILE: sb.env.SSL_CERT_FILE as string,
        },
      );
      const log = result.stdout + result.stderr;
      expect(result.code, log.slice(-4000)).toBe(0);
      expect(log).toContain('Job succeeded');

      const steps = JSON.parse(readFileSync(reportFile, 'utf8')) as StepsReport;
      const build = steps.build?.outputs ?? {};
      const scan = steps.scan?.outputs ?? {};
      const push = steps.push?.outputs ?? {};
      expect([steps.build?.outcome, steps.scan?.outcome, steps.push?.outcome]).toEqual(['success', 'success', 'success']);

      // build -> push: the digest the build computed is the one pushed and read back from the registry.
      expect(build.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(build.builder).toBe('buildah');
      expect(push.digest).toBe(build.digest);
      const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: workspace, encoding: 'utf8' }).trim();
      expect(build.tags?.split('\n')).toEqual(expect.arrayContaining([`${login}/team/hello:candidate`, `${login}/team/hello:sha-${head.slice(0, 7)}`]));
      expect(push.tags?.split('\n').sort()).toEqual(build.tags?.split('\n').sort());
      expect(Number(push['bytes-uploaded'])).toBeGreaterThan(0);

      // build -> scan: the layout was scanned offline and the counts are the fixture DB's for the base.
      expect(scan).toMatchObject({ passed: 'true', critical: '0', high: '1', medium: '0', low: '1', unknown: '0', 'trivy-version': '0.74.0' });

      // The tag really resolves to that digest behind the ACR double.
      const inspect = await run(sb, sb.env.SKOPEO ?? 'skopeo', [
        'inspect',
        '--cert-dir',
        sb.env.SANDBOX_CERT_DIR as string,
        '--format',
        '{{.Digest}}',
        `docker://${sb.env.REGISTRY}/team/hello:candidate`,
      ]);
      expect(inspect.code, inspect.stderr).toBe(0);
      expect(inspect.stdout.trim()).toBe(build.digest);

      // Secrets went through the runner's secret store and the actions' masking, never into the log.
      expect(log).not.toContain(buildToken);
      expect(log).not.toContain(clientSecret);
    }, 600_000);
  });
});
