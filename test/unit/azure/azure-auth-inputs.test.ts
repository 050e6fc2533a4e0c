import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureAuthInputs, InputProblems, parseInputs, validateAzureAuth } from '@slipway/core';

const tenant = '11111111-2222-3333-4444-555555555555';
const client = '66666666-7777-8888-9999-000000000000';
let workspace: string;

beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'slipway-azure-auth-'));
  writeFileSync(path.join(workspace, 'spn.pem'), '-----BEGIN CERTIFICATE-----\n');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function validate(raw: Record<string, string>, options: { signIn?: boolean; env?: Record<string, string>; federatedTokens?: boolean } = {}) {
  const problems = new InputProblems();
  const values = parseInputs(azureAuthInputs, (name) => raw[name], problems);
  const auth = validateAzureAuth(
    values,
    { workspace, tempDir: workspace, env: options.env ?? {}, problems, federatedTokens: options.federatedTokens },
    { signIn: options.signIn ?? true },
  );
  return { auth, problems: problems.list };
}

describe('validateAzureAuth', () => {
  it('defaults to auto in the public cloud', () => {
    const { auth, problems } = validate({});
    expect(problems).toEqual([]);
    expect(auth).toMatchObject({ method: 'auto', authorityHost: 'https://login.microsoftonline.com', resourceManager: 'https://management.azure.com' });
  });

  it('takes a sovereign cloud, a domain tenant and a certificate path resolved against the workspace', () => {
    const { auth, problems } = validate({
      'azure-environment': 'AzureUSGovernment',
      auth: 'client-certificate',
      'tenant-id': 'contoso.onmicrosoft.com',
      'client-id': client,
      'client-certificate-path': 'spn.pem',
    });
    expect(problems).toEqual([]);
    expect(auth).toMatchObject({
      method: 'client-certificate',
      certificatePath: path.join(workspace, 'spn.pem'),
      authorityHost: 'https://login.microsoftonline.us',
      cloud: { name: 'AzureUSGovernment' },
    });
  });

  it('uses the normalised authority URL, never the raw text', () => {
    expect(validate({ 'authority-host': 'https://Login.Example.test:8443/' }).auth.authorityHost).toBe('https://login.example.test:8443');
  });

  it.each<[string, Record<string, string>, string, string]>([
    ['a tenant that is neither GUID nor domain', { 'tenant-id': 'not a tenant' }, 'tenant-id', 'is neither a GUID nor a domain'],
    ['a client id that is not a GUID', { 'client-id': '1234' }, 'client-id', 'is not a GUID'],
    ['a certificate that does not exist', { 'client-certificate-path': 'missing.pem' }, 'client-certificate-path', 'does not exist'],
    ['an authority that is not a URL', { 'authority-host': 'login.example' }, 'authority-host', 'is not a URL'],
    ['an http authority', { 'authority-host': 'http://login.example' }, 'authority-host', 'must be an https:// URL'],
    ['an authority with credentials', { 'authority-host': 'https://user:pw@login.example' }, 'authority-host', 'without credentials, query or fragment'],
    ['an authority with a newline (URL parsers drop it)', { 'authority-host': 'https://login.example\n.evil' }, 'authority-host', 'single line'],
    ['an unknown cloud', { 'azure-environment': 'AzureGermanCloud' }, 'azure-environment', 'expected one of'],
    ['an unknown method', { auth: 'password' }, 'auth', 'expected one of'],
  ])('refuses %s, signing in or not', (_, raw, input, message) => {
    const problem = expect.objectContaining({ input, message: expect.stringContaining(message) });
    expect(validate(raw, { signIn: false }).problems).toEqual([problem]);
    expect(validate(raw, { signIn: true }).problems).toContainEqual(problem);
  });

  it.each<[string, Record<string, string>, string[]]>([
    ['client-secret with nothing', { auth: 'client-secret' }, ['tenant-id', 'client-id', 'client-secret']],
    [
      'client-secret with empty ids (GitHub passes "" for unset inputs)',
      { auth: 'client-secret', 'tenant-id': '', 'client-id': ' ', 'client-secret': 's' },
      ['tenant-id', 'client-id'],
    ],
    ['client-certificate without the certificate', { auth: 'client-certificate', 'tenant-id': tenant, 'client-id': client }, ['client-certificate-path']],
    ['oidc without a client id', { auth: 'oidc', 'tenant-id': tenant }, ['client-id']],
    ['auto with a secret but no tenant', { 'client-id': client, 'client-secret': 's' }, ['tenant-id']],
    ['auto with a certificate but no ids', { 'client-certificate-path': 'spn.pem' }, ['tenant-id', 'client-id']],
  ])('with sign-in, refuses %s', (_, raw, inputs) => {
    const { problems } = validate(raw);
    expect(problems.map((problem) => problem.input)).toEqual(inputs);
    expect(validate(raw, { signIn: false }).problems).toEqual([]);
  });

  it('does not pile "is required" on an input that failed parsing', () => {
    expect(validate({ auth: 'client-secret', 'tenant-id': tenant, 'client-id': 'a\nb', 'client-secret': 's' }).problems.map((p) => p.input)).toEqual([
      'client-id',
    ]);
  });

  it('refuses oidc only on a host known not to mint ID tokens', () => {
    const raw = { auth: 'oidc', 'tenant-id': tenant, 'client-id': client };
    expect(validate(raw, { federatedTokens: false }).problems).toEqual([expect.objectContaining({ input: 'auth' })]);
    expect(validate(raw, { federatedTokens: true }).problems).toEqual([]);
    expect(validate(raw).problems).toEqual([]);
  });

  it('refuses auth environment without the AZURE_* variables EnvironmentCredential reads', () => {
    expect(validate({ auth: 'environment' }).problems).toEqual([
      expect.objectContaining({ input: 'auth', message: expect.stringContaining('AZURE_TENANT_ID, AZURE_CLIENT_ID') }),
    ]);
    const env = { AZURE_TENANT_ID: tenant, AZURE_CLIENT_ID: client, AZURE_CLIENT_SECRET: 's' };
    expect(validate({ auth: 'environment' }, { env }).problems).toEqual([]);
  });
});
