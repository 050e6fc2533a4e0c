import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minSecretLength } from '@slipway/core';
import { describeSandbox, type SandboxInfo } from '../integration/sandbox/sandbox.ts';
import { createBuildahEnv, testBaseImage, type BuildahEnv } from '../support/buildah-env.ts';
import { parseAgentCommands, parseRunnerCommands, repoRoot } from '../support/host-harness.ts';
import { bundlePrivateHosts, runAzureEntry, runCliEntry, runGitHubEntry, type PrivateHosts } from '../support/private-hosts.ts';
import { createWrapperPath, type RecordingPath, type SpawnRecord } from '../support/recording-path.ts';

/**
 * Issue #9's secret-hygiene harness: build, scan and push run in the three real hosts (the GitHub action
 * and the Azure Pipelines task bundled privately from the current sources, and the CLI) against the
 * sandbox, with known secrets — a client secret the Entra double accepts, build secrets given as a
 * value and through an environment variable, the basic-auth registry's password — and the tokens minted
 * during the run, learnt by a recorder preloaded into the host (token-recorder.cjs). Each run is then
 * searched for them: what the host printed (mask commands aside, which the runner and the agent consume),
 * its outputs and job summary, every file under its workspace and temp directory (reports included,
 * gzip layers unpacked), and the argv and environment of every child, recorded by wrappers on PATH that
 * log and then run the real tool. A secret may be in the environment of the one child that needs it.
 */

const hostKinds = ['github', 'azure-pipelines', 'cli'] as const;
type HostKind = (typeof hostKinds)[number];

/** A value that must not leak, the spellings it could leak in, and the children allowed to hold it in their environment. */
interface KnownSecret {
  readonly name: string;
  readonly value: string;
  /** Other spellings a tool would write it in (base64 for Docker-style auth). */
  readonly encodings: readonly string[];
  /** The child and variable that may (and, with `required`, must) hold it: TRIVY_PASSWORD of `trivy image`. */
  readonly allowedIn?: (record: SpawnRecord, variable: string) => boolean;
  readonly required?: boolean;
}

interface LearntToken {
  readonly key: string;
  readonly value: string;
  readonly issuer: string;
}

interface HygieneRun {
  readonly host: HostKind;
  readonly exitCode: number;
  /** Everything the host printed, with the mask commands (which the runner and agent consume) taken out. */
  readonly shown: string;
  /** Values the host asked its runner or agent to mask (add-mask, task.setsecret). */
  readonly masked: readonly string[];
  /** Warnings as the runner, the agent or a terminal shows them. */
  readonly warnings: readonly string[];
  readonly outputs: Readonly<Record<string, string>>;
  readonly summary: string;
  readonly workspace: string;
  /** Directories whose files are searched: the workspace and the host's temp directory (or run directory). */
  readonly dirs: readonly string[];
  readonly spawns: readonly SpawnRecord[];
  readonly tokens: readonly LearntToken[];
}

const jwt = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
const base64 = (text: string) => Buffer.from(text).toString('base64');
/** Trivy's scan reads registry credentials from TRIVY_USERNAME/TRIVY_PASSWORD; nothing else needs them. */
const trivyPassword = (record: SpawnRecord, variable: string) => record.tool === 'trivy' && record.args[0] === 'image' && variable === 'TRIVY_PASSWORD';
const trivyScan = (record: SpawnRecord) => record.tool === 'trivy' && record.args[0] === 'image';
const buildahBuild = (record: SpawnRecord) => record.tool === 'buildah' && ['build', 'bud'].includes(record.args[0] ?? '');

describeSandbox('secret hygiene: build, scan and push in every host, with known secrets', (sb: SandboxInfo) => {
  const doubles = JSON.parse(readFileSync(sb.env.AZURE_DOUBLES_JSON as string, 'utf8')) as {
    tenantId: string;
    authorityHost: string;
    registry: { loginServer: string };
    apps: Array<{ name: string; clientId: string; secrets: string[] }>;
  };
  const app = doubles.apps.find((candidate) => candidate.name === 'ci') ?? (doubles.apps[0] as (typeof doubles.apps)[number]);
  const buildValueSecret = `hygiene-value-${randomUUID()}`;
  const buildEnvSecret = `hygiene-env-${randomUUID()}`;
  /** Too short to mask (minSecretLength): the host must warn, naming where it came from, and not mask it. */
  const shortSecret = 'q7z';
  const registryUser = sb.env.REGISTRY_AUTH_USER as string;
  const registryPassword = sb.env.REGISTRY_AUTH_PASSWORD as string;
  const clientSecret = app.secrets[0] as string;

  const known = {
    clientSecret: { name: 'client secret', value: clientSecret, encodings: [base64(clientSecret)] },
    buildValue: { name: 'build secret (secrets)', value: buildValueSecret, encodings: [base64(buildValueSecret)] },
    // Issue #9 allows the variable in the build's own environment (buildah can read `--secret env=`);
    // Slipway hands the value over as a 0600 file instead, and the harness accepts either.
    buildEnv: {
      name: 'build secret (secret-envs)',
      value: buildEnvSecret,
      encodings: [base64(buildEnvSecret)],
      allowedIn: (record, variable) => buildahBuild(record) && variable === 'HYGIENE_BUILD_TOKEN',
    },
    registryPassword: {
      name: 'registry password',
      value: registryPassword,
      encodings: [base64(registryPassword), base64(`${registryUser}:${registryPassword}`)],
      allowedIn: trivyPassword,
      required: true,
    },
  } satisfies Record<string, KnownSecret>;

  let root: string;
  let hosts: PrivateHosts;
  let buildah: BuildahEnv;
  let wrappers: RecordingPath;
  let trivyDbCache: string;
  let runCount = 0;
  let started = 0;

  beforeAll(async () => {
    started = Date.now();
    root = mkdtempSync(path.join(os.tmpdir(), 'slipway-hygiene-'));
    // The real tools the wrappers run: the sandbox's Trivy first, then the system's.
    const originalPath = `${path.dirname(sb.env.TRIVY as string)}:${process.env.PATH}`;
    wrappers = createWrapperPath(originalPath);
    // esbuild bundles in its own process while buildah prepares the base image.
    const bundling = bundlePrivateHosts(path.join(root, 'bundles'));
    buildah = createBuildahEnv();
    hosts = await bundling;
    trivyDbCache = path.join(root, 'trivy-db');
    cpSync(path.join(sb.env.TRIVY_CACHE_DIR as string, 'db'), path.join(trivyDbCache, 'db'), { recursive: true });
  }, 180_000);

  afterAll(() => {
    console.log(`secret hygiene: ${runCount} host runs in ${Math.round((Date.now() - started) / 1000)} s`);
    buildah?.cleanup();
    wrappers?.cleanup();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** Runs one step in one host with the wrappers first on PATH and the token recorder preloaded. */
  async function runIn(
    host: HostKind,
    step: string,
    inputs: Record<string, string>,
    prepare: (workspace: string) => void,
    extraEnv: Record<string, string> = {},
  ): Promise<HygieneRun> {
    runCount++;
    const runDir = path.join(root, `run-${runCount}-${host}-${step}`);
    const workspace = path.join(runDir, 'workspace');
    const tempDir = path.join(runDir, 'tmp');
    const home = path.join(runDir, 'home');
    for (const dir of [workspace, tempDir, home]) mkdirSync(dir, { recursive: true });
    prepare(workspace);
    const tokenLog = path.join(runDir, 'tokens.jsonl');
    wrappers.clear();
    const env: Record<string, string> = {
      PATH: `${wrappers.dir}:${path.dirname(sb.env.TRIVY as string)}:${process.env.PATH}`,
      HOME: home,
      TMPDIR: tempDir,
      NODE_EXTRA_CA_CERTS: sb.env.SANDBOX_CA_CERT as string,
      SSL_CERT_FILE: sb.env.SSL_CERT_FILE as string,
      NODE_OPTIONS: `--require ${path.join(import.meta.dirname, 'token-recorder.cjs')}`,
      HYGIENE_TOKEN_LOG: tokenLog,
      ...buildah.env,
      ...extraEnv,
    };
    const options = { env, cwd: workspace, runDir: path.join(runDir, 'host') };
    mkdirSync(options.runDir);
    let result: Omit<HygieneRun, 'spawns' | 'tokens' | 'host' | 'workspace'>;
    if (host === 'github') {
      const run = await runGitHubEntry(hosts.githubEntry(step), inputs, { ...options, env: { ...env, GITHUB_WORKSPACE: workspace } });
      const output = `${run.stdout}\n${run.stderr}`;
      const commands = parseRunnerCommands(output);
      result = {
        exitCode: run.exitCode,
        shown: output
          .split('\n')
          .filter((line) => !line.startsWith('::add-mask::'))
          .join('\n'),
        masked: commands.filter((command) => command.command === 'add-mask').map((command) => command.data),
        warnings: commands.filter((command) => command.command === 'warning').map((command) => command.data),
        outputs: run.outputs,
        summary: run.summary,
        dirs: [workspace, run.dir],
      };
    } else if (host === 'azure-pipelines') {
      const run = await runAzureEntry(hosts.azureEntry(step), inputs, { ...options, env: { ...env, SYSTEM_DEFAULTWORKINGDIRECTORY: workspace } });
      const output = `${run.stdout}\n${run.stderr}`;
      const commands = parseAgentCommands(output);
      const summaries = commands.filter((command) => command.command === 'task.uploadsummary').map((command) => readFileSync(command.message, 'utf8'));
      result = {
        exitCode: run.exitCode,
        shown: output
          .split('\n')
          .filter((line) => !line.startsWith('##vso[task.setsecret]'))
          .join('\n'),
        masked: commands.filter((command) => command.command === 'task.setsecret').map((command) => command.message),
        warnings: commands.filter((command) => command.command === 'task.issue' && command.properties.type === 'warning').map((command) => command.message),
        outputs: run.outputs,
        summary: summaries.join('\n'),
        dirs: [workspace, run.tempDir],
      };
    } else {
      const run = await runCliEntry(hosts.cli, step, inputs, { ...options, json: true });
      const document = JSON.parse(run.stdout) as { outputs: Record<string, string> };
      result = {
        exitCode: run.exitCode,
        shown: `${run.stdout}\n${run.stderr}`,
        masked: [],
        warnings: run.stderr.split('\n').filter((line) => line.startsWith('warning: ')),
        outputs: document.outputs,
        summary: '',
        dirs: [workspace, tempDir],
      };
    }
    const tokens = existsSync(tokenLog)
      ? readFileSync(tokenLog, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { key: string; value: string })
          .map((token) => ({ ...token, issuer: jwtIssuer(token.value) }))
      : [];
    const spawns = wrappers.records();
    return { ...result, host, workspace, spawns, tokens };
  }

  /** Every place a secret was found where it must not be, as `<secret> in <where>`. */
  function findLeaks(run: HygieneRun, secrets: readonly KnownSecret[]): string[] {
    const leaks: string[] = [];
    const search = (where: string, text: string, allowed: (secret: KnownSecret) => boolean = () => false) => {
      for (const secret of secrets) {
        if (allowed(secret)) continue;
        const spelling = [secret.value, ...secret.encodings].find((candidate) => text.includes(candidate));
        if (spelling !== undefined) leaks.push(`${secret.name}${spelling === secret.value ? '' : ' (encoded)'} in ${where}`);
      }
    };
    search('stdout/stderr', run.shown);
    search('outputs', JSON.stringify(run.outputs));
    search('job summary', run.summary);
    for (const dir of run.dirs) for (const file of listFiles(dir)) search(`file ${path.relative(root, file)}`, readSearchable(file));
    for (const record of run.spawns) {
      const child = `${record.tool} ${record.args.slice(0, 2).join(' ')}`;
      search(`argv of ${child}`, record.args.join('\0'));
      for (const [name, value] of Object.entries(record.env)) search(`env ${name} of ${child}`, value, (secret) => secret.allowedIn?.(record, name) === true);
    }
    for (const secret of secrets.filter((candidate) => candidate.required)) {
      const delivered = run.spawns.some((record) =>
        Object.entries(record.env).some(([name, value]) => value === secret.value && secret.allowedIn?.(record, name)),
      );
      if (!delivered) leaks.push(`${secret.name} never reached the child that needs it`);
    }
    return leaks;
  }

  /** JWTs (every token the doubles mint is one) anywhere but in the environment of a child allowed one. */
  function findTokensByShape(run: HygieneRun, allowedIn: (record: SpawnRecord, variable: string) => boolean = () => false): string[] {
    const found: string[] = [];
    const look = (where: string, text: string) => {
      if (jwt.test(text)) found.push(`a JWT in ${where}`);
    };
    look('stdout/stderr', run.shown);
    look('outputs', JSON.stringify(run.outputs));
    look('job summary', run.summary);
    for (const dir of run.dirs) for (const file of listFiles(dir)) look(`file ${path.relative(root, file)}`, readSearchable(file));
    for (const record of run.spawns) {
      look(`argv of ${record.tool} ${record.args[0] ?? ''}`, record.args.join(' '));
      for (const [name, value] of Object.entries(record.env))
        if (!allowedIn(record, name)) look(`env ${name} of ${record.tool} ${record.args[0] ?? ''}`, value);
    }
    return found;
  }

  /** Learnt tokens as secrets; an ACR refresh token may be (and must be) in Trivy's environment when a scan signs in. */
  function tokenSecrets(run: HygieneRun, refreshTokenFor?: (record: SpawnRecord, variable: string) => boolean): KnownSecret[] {
    return [...new Map(run.tokens.map((token) => [token.value, token])).values()].map((token) => ({
      name: `${token.issuer} ${token.key}`,
      value: token.value,
      encodings: [],
      ...(refreshTokenFor && token.key === 'refresh_token' ? { allowedIn: refreshTokenFor, required: true } : {}),
    }));
  }

  function expectMaskedIn(run: HygieneRun, values: readonly string[]): void {
    // The CLI has no runner to tell: it redacts its own output, which findLeaks checks.
    if (run.host === 'cli') return;
    for (const value of values) expect(run.masked, `${run.host} asked to mask it`).toContain(value);
  }

  describe.each(hostKinds)('%s', (host) => {
    it('build with secrets from a value and from an environment variable: delivered to the build, found nowhere else', async () => {
      const run = await runIn(
        host,
        'build',
        {
          image: 'hygiene/app',
          context: '.',
          file: 'Containerfile',
          tags: 'hygiene-1',
          // Every host builds for real: a cached RUN would print nothing and test no redaction.
          'no-cache': 'true',
          secrets: `token=${buildValueSecret}\nshort=${shortSecret}`,
          'secret-envs': 'envtok=HYGIENE_BUILD_TOKEN',
        },
        (workspace) =>
          writeFileSync(
            path.join(workspace, 'Containerfile'),
            [
              `FROM ${testBaseImage}`,
              // A Containerfile that prints its secrets: the build log reaches the host, which must redact it.
              'RUN --mount=type=secret,id=token cat /run/secrets/token',
              'RUN --mount=type=secret,id=envtok cat /run/secrets/envtok',
              'RUN --mount=type=secret,id=token --mount=type=secret,id=envtok sh -c \'echo "token-length=$(wc -c < /run/secrets/token) envtok-length=$(wc -c < /run/secrets/envtok)"\'',
              '',
            ].join('\n'),
          ),
        { HYGIENE_BUILD_TOKEN: buildEnvSecret },
      );
      expect(run.exitCode, run.shown).toBe(0);
      // Delivered: the RUN saw both secrets, at their full length.
      expect(run.shown).toMatch(new RegExp(`token-length=\\s*${buildValueSecret.length} envtok-length=\\s*${buildEnvSecret.length}`));
      expect(run.spawns.some(buildahBuild), 'buildah build ran through the wrapper').toBe(true);
      expect(findLeaks(run, [known.buildValue, known.buildEnv])).toEqual([]);
      expect(findTokensByShape(run)).toEqual([]);
      expectMaskedIn(run, [buildValueSecret, buildEnvSecret]);

      // Too short to be a secret: not masked (it would blank `q7z` all over the log), with a warning that
      // says where it came from without quoting it.
      expect(run.masked).not.toContain(shortSecret);
      const warning = run.warnings.find((line) => line.includes(`shorter than ${minSecretLength} characters`)) ?? '';
      expect(warning, `a warning about the short secret among:\n${run.warnings.join('\n')}`).toContain("input 'secrets' (the value of 'short')");
      expect(warning).not.toContain(shortSecret);
    });

    it('scan of an image in the basic-auth registry: the password only in Trivy’s environment, in no report', async () => {
      const run = await runIn(
        host,
        'scan',
        {
          image: `${sb.env.REGISTRY_AUTH}/slipway/base:1`,
          'registry-auth': 'basic',
          'registry-username': registryUser,
          'registry-password': registryPassword,
          'cache-dir': privateTrivyCache(),
          offline: 'true',
          'json-file': 'reports/trivy.json',
          'sarif-file': 'reports/trivy.sarif',
          'junit-file': 'reports/trivy.xml',
        },
        () => {},
      );
      expect([0, 1], run.shown).toContain(run.exitCode);
      expect(run.outputs.passed, run.shown).toBeDefined();
      // The reports the file search covers were written.
      for (const report of ['trivy.json', 'trivy.sarif', 'trivy.xml']) expect(existsSync(path.join(run.workspace, 'reports', report)), report).toBe(true);
      expect(run.spawns.filter(trivyScan)).toHaveLength(1);
      expect(findLeaks(run, [known.registryPassword])).toEqual([]);
      expect(findTokensByShape(run)).toEqual([]);
      expectMaskedIn(run, [registryPassword]);
    });

    it('scan of an ACR image with the Azure sign-in: client secret and minted tokens nowhere, the refresh token only in Trivy’s environment', async () => {
      const run = await runIn(
        host,
        'scan',
        {
          image: `${doubles.registry.loginServer}/slipway/base:1`,
          'registry-auth': 'azure',
          auth: 'client-secret',
          'tenant-id': doubles.tenantId,
          'client-id': app.clientId,
          'client-secret': clientSecret,
          'authority-host': doubles.authorityHost,
          'cache-dir': privateTrivyCache(),
          offline: 'true',
          'json-file': 'reports/trivy.json',
          'sarif-file': 'reports/trivy.sarif',
          'junit-file': 'reports/trivy.xml',
        },
        () => {},
      );
      expect([0, 1], run.shown).toContain(run.exitCode);
      expect(run.outputs.passed, run.shown).toBeDefined();
      // The reports the file search covers were written.
      for (const report of ['trivy.json', 'trivy.sarif', 'trivy.xml']) expect(existsSync(path.join(run.workspace, 'reports', report)), report).toBe(true);
      // Learnt: the Entra access token and the ACR refresh token it was exchanged for.
      expect(run.tokens.map((token) => `${token.issuer} ${token.key}`).sort()).toEqual(expect.arrayContaining(['ACR refresh_token', 'Entra access_token']));
      const refreshTokens = run.tokens.filter((token) => token.key === 'refresh_token').map((token) => token.value);
      expect(findLeaks(run, [known.clientSecret, ...tokenSecrets(run, trivyPassword)])).toEqual([]);
      expect(findTokensByShape(run, trivyPassword)).toEqual([]);
      expectMaskedIn(run, [clientSecret, ...refreshTokens]);
    });

    it('push to the ACR double: client secret, Entra token and ACR refresh and access tokens nowhere', async () => {
      const run = await runIn(
        host,
        'push',
        {
          layout: 'layout',
          image: `${doubles.registry.loginServer}/hygiene/${host}`,
          tags: `run-${runCount + 1}`,
          auth: 'client-secret',
          'tenant-id': doubles.tenantId,
          'client-id': app.clientId,
          'client-secret': clientSecret,
          'authority-host': doubles.authorityHost,
        },
        (workspace) => cpSync(path.join(repoRoot, 'test/fixtures/oci/tiny'), path.join(workspace, 'layout'), { recursive: true }),
      );
      expect(run.exitCode, run.shown).toBe(0);
      expect(run.tokens.map((token) => `${token.issuer} ${token.key}`)).toEqual(
        expect.arrayContaining(['Entra access_token', 'ACR refresh_token', 'ACR access_token']),
      );
      expect(findLeaks(run, [known.clientSecret, ...tokenSecrets(run)])).toEqual([]);
      expect(findTokensByShape(run)).toEqual([]);
      expectMaskedIn(run, [clientSecret]);
    });
  });

  function privateTrivyCache(): string {
    // Trivy locks its cache DB: every scan gets its own copy, outside the workspace (it is Trivy's, not Slipway's).
    const dir = mkdtempSync(path.join(root, 'trivy-cache-'));
    cpSync(path.join(trivyDbCache, 'db'), path.join(dir, 'db'), { recursive: true });
    return dir;
  }
});

/** `Entra` or `ACR` from a JWT's issuer claim; `unknown` for anything else. */
function jwtIssuer(token: string): string {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: string };
    if (claims.iss === 'Azure Container Registry') return 'ACR';
    return claims.iss ? 'Entra' : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Every regular file under `dir` (symbolic links are not followed: they point at what is searched elsewhere). */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const file = path.join(dir, entry);
    const stats = lstatSync(file);
    if (stats.isDirectory()) out.push(...listFiles(file));
    else if (stats.isFile()) out.push(file);
  }
  return out;
}

/** A file's bytes as text, and its content unpacked too when it is gzip (image layers). */
function readSearchable(file: string): string {
  const bytes = readFileSync(file);
  let text = bytes.toString('latin1');
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      text += `\n${gunzipSync(bytes).toString('latin1')}`;
    } catch {
      // not gzip after all
    }
  }
  return text;
}
