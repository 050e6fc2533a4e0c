import { checkReadPath, type InputSpec, type InputValues } from '../inputs/index.ts';
import type { ValidationContext } from '../steps/framework/validation-context.ts';
import type { AzureAuth } from './azure-auth.ts';
import { azureClouds } from './azure-clouds.ts';

/** The Azure sign-in inputs every Azure-facing step shares, so they read the same everywhere. */
export const azureAuthInputs = [
  {
    name: 'azure-subscription',
    type: 'string',
    group: 'azure',
    hosts: ['azure-pipelines'],
    taskInputType: 'connectedService:AzureRM',
    description:
      'Azure Resource Manager service connection. Its tenant, client and credential (workload identity federation, secret or certificate) are used unless the inputs below are given.',
  },
  {
    name: 'auth',
    type: 'enum',
    group: 'azure',
    default: 'auto',
    allowed: ['auto', 'oidc', 'client-secret', 'client-certificate', 'managed-identity', 'azure-cli', 'environment'],
    description:
      'How to sign in to Azure. auto: a client secret or certificate when given, else OIDC federation when the host offers it (GitHub id-token permission, an Azure Pipelines workload identity service connection), else the default chain.',
  },
  { name: 'tenant-id', type: 'string', group: 'azure', description: 'Entra ID tenant (directory) id.' },
  { name: 'client-id', type: 'string', group: 'azure', description: 'Application (client) id of the service principal or user-assigned managed identity.' },
  { name: 'client-secret', type: 'string', group: 'azure', secret: true, description: 'Client secret of the service principal. Prefer OIDC federation.' },
  { name: 'client-certificate-path', type: 'string', group: 'azure', description: "PEM file with the service principal's certificate and private key." },
  {
    name: 'azure-environment',
    type: 'enum',
    group: 'azure',
    default: 'AzureCloud',
    allowed: ['AzureCloud', 'AzureChinaCloud', 'AzureUSGovernment'],
    description: 'The Azure cloud (sovereign clouds included).',
  },
  {
    name: 'authority-host',
    type: 'string',
    group: 'azure',
    description: "Entra ID authority host URL, overriding the cloud's (Azure Stack, private endpoints).",
  },
] as const satisfies readonly InputSpec[];

/** The sign-in values every Azure-facing step's parsed inputs carry (the service connection is read by the host). */
export type AzureAuthInputValues = Omit<InputValues<typeof azureAuthInputs>, 'azureSubscription'>;

const guid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Validates the shared sign-in inputs, recording problems in `context.problems`:
 * - always, the form of every input that is given (a scan of a layout refuses a malformed client-id
 *   too: it was given for a reason, and a typo should not wait for the day it is used);
 * - with `signIn`, also that the chosen method has what it needs wherever it is certain to fail
 *   without it, so that exit 2 comes before git, builders or Entra ID are contacted.
 * Blank inputs count as not given (GitHub passes '' for unset inputs). The returned AzureAuth is only
 * meaningful when no problem was recorded.
 */
export function validateAzureAuth(values: AzureAuthInputValues, context: ValidationContext, options: { signIn: boolean }): AzureAuth {
  const cloud = azureClouds[values.azureEnvironment];
  const certificatePath = checkAzureInputForms(values, context);
  if (options.signIn) checkSignInComplete(values, context);
  return {
    method: values.auth,
    tenantId: values.tenantId,
    clientId: values.clientId,
    clientSecret: values.clientSecret,
    certificatePath,
    cloud,
    authorityHost: authorityHostOf(values, context) ?? cloud.authorityHost,
    resourceManager: cloud.resourceManager,
  };
}

/** The form of each given input; returns the resolved certificate path. */
function checkAzureInputForms(values: AzureAuthInputValues, context: ValidationContext): string | undefined {
  const problems = context.problems;
  if (values.tenantId !== undefined && !guid.test(values.tenantId) && !/^[\w.-]+\.[a-z]{2,}$/i.test(values.tenantId)) {
    problems.add('tenant-id', `'${values.tenantId}' is neither a GUID nor a domain such as contoso.onmicrosoft.com`);
  }
  if (values.clientId !== undefined && !guid.test(values.clientId)) problems.add('client-id', `'${values.clientId}' is not a GUID`);
  if (values.clientCertificatePath === undefined) return undefined;
  return checkReadPath({ input: 'client-certificate-path', value: values.clientCertificatePath, kind: 'file' }, context);
}

/**
 * The authority host as a normalised https URL (never the raw text, so nothing the URL parser ignored
 * reaches MSAL), or undefined when not given or refused.
 */
function authorityHostOf(values: AzureAuthInputValues, context: ValidationContext): string | undefined {
  if (values.authorityHost === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(values.authorityHost);
  } catch {
    context.problems.add('authority-host', `'${values.authorityHost}' is not a URL`);
    return undefined;
  }
  if (url.protocol !== 'https:') context.problems.add('authority-host', 'must be an https:// URL');
  else if (url.username || url.password || url.search || url.hash) {
    context.problems.add('authority-host', 'must be a plain https:// URL, without credentials, query or fragment');
  } else return url.href.replace(/\/+$/, '');
  return undefined;
}

/** What each method cannot sign in without; `auto` takes a client secret or certificate first (createCredential). */
function checkSignInComplete(values: AzureAuthInputValues, context: ValidationContext): void {
  const problems = context.problems;
  const require = (input: 'tenant-id' | 'client-id' | 'client-secret' | 'client-certificate-path', given: string | undefined, why: string) => {
    if (given === undefined && !problems.has(input)) problems.add(input, `is required ${why}`);
  };
  const method = values.auth;
  if (method === 'client-secret' || method === 'client-certificate' || method === 'oidc') {
    require('tenant-id', values.tenantId, `with auth ${method}`);
    require('client-id', values.clientId, `with auth ${method}`);
  }
  if (method === 'client-secret') require('client-secret', values.clientSecret, 'with auth client-secret');
  if (method === 'client-certificate') require('client-certificate-path', values.clientCertificatePath, 'with auth client-certificate');
  if (method === 'oidc' && context.federatedTokens === false) {
    const hint = 'on GitHub grant `permissions: id-token: write`; on Azure Pipelines use a workload identity federation service connection';
    problems.add('auth', 'oidc needs a host that can mint ID tokens', hint);
  }
  if (method === 'auto' && (values.clientSecret !== undefined || values.clientCertificatePath !== undefined)) {
    const credential = values.clientSecret !== undefined ? 'client-secret' : 'client-certificate-path';
    require('tenant-id', values.tenantId, `with ${credential} (auth auto signs in with it)`);
    require('client-id', values.clientId, `with ${credential} (auth auto signs in with it)`);
  }
  if (method === 'environment') {
    // What EnvironmentCredential reads: ids, and a secret, a certificate or a user name and password.
    const env = context.env;
    const missing = ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID'].filter((name) => !env[name]);
    if (!env.AZURE_CLIENT_SECRET && !env.AZURE_CLIENT_CERTIFICATE_PATH && !(env.AZURE_USERNAME && env.AZURE_PASSWORD)) {
      missing.push('AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH)');
    }
    if (missing.length > 0) problems.add('auth', `environment needs ${missing.join(', ')} in the environment`);
  }
}
