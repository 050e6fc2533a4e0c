import { InputError } from '../errors/index.ts';
import type { InputSpec } from '../inputs/index.ts';
import type { AzureAuth, AzureAuthMethod } from './azure-auth.ts';
import { azureClouds, type AzureCloudName } from './azure-clouds.ts';

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
  { name: 'client-certificate-path', type: 'string', group: 'azure', description: 'PEM file with the service principal\'s certificate and private key.' },
  {
    name: 'azure-environment',
    type: 'enum',
    group: 'azure',
    default: 'AzureCloud',
    allowed: ['AzureCloud', 'AzureChinaCloud', 'AzureUSGovernment'],
    description: 'The Azure cloud (sovereign clouds included).',
  },
  { name: 'authority-host', type: 'string', group: 'azure', description: 'Entra ID authority host URL, overriding the cloud\'s (Azure Stack, private endpoints).' },
] as const satisfies readonly InputSpec[];

export interface AzureAuthInputValues {
  auth: string;
  tenantId: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  clientCertificatePath: string | undefined;
  azureEnvironment: string;
  authorityHost: string | undefined;
}

/** Validates the shared sign-in inputs (any step's parsed values carry them); only what a method needs is required. */
export function validateAzureAuth(values: AzureAuthInputValues, resolvePath: (file: string) => string, fileExists: (file: string) => boolean): AzureAuth {
  const cloud = azureClouds[values.azureEnvironment as AzureCloudName];
  const guid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
  if (values.tenantId !== undefined && !guid.test(values.tenantId) && !/^[\w.-]+\.[a-z]{2,}$/i.test(values.tenantId)) {
    throw new InputError('tenant-id', `'${values.tenantId}' is neither a GUID nor a domain such as contoso.onmicrosoft.com`);
  }
  if (values.clientId !== undefined && !guid.test(values.clientId)) throw new InputError('client-id', `'${values.clientId}' is not a GUID`);
  let certificatePath: string | undefined;
  if (values.clientCertificatePath !== undefined) {
    certificatePath = resolvePath(values.clientCertificatePath);
    if (!fileExists(certificatePath)) throw new InputError('client-certificate-path', `${certificatePath} does not exist`);
  }
  let authorityHost = cloud.authorityHost;
  if (values.authorityHost !== undefined) {
    let url: URL;
    try {
      url = new URL(values.authorityHost);
    } catch {
      throw new InputError('authority-host', `'${values.authorityHost}' is not a URL`);
    }
    if (url.protocol !== 'https:') throw new InputError('authority-host', 'must be an https:// URL');
    authorityHost = values.authorityHost.replace(/\/+$/, '');
  }
  const method = values.auth as AzureAuthMethod;
  if (method === 'client-secret' && !values.clientSecret) throw new InputError('client-secret', 'is required with auth client-secret');
  if (method === 'client-certificate' && !certificatePath) throw new InputError('client-certificate-path', 'is required with auth client-certificate');
  if ((method === 'client-secret' || method === 'client-certificate' || method === 'oidc') && (!values.tenantId || !values.clientId)) {
    throw new InputError(values.tenantId ? 'client-id' : 'tenant-id', `is required with auth ${method}`);
  }
  return {
    method,
    tenantId: values.tenantId,
    clientId: values.clientId,
    clientSecret: values.clientSecret,
    certificatePath,
    cloud,
    authorityHost,
    resourceManager: cloud.resourceManager,
  };
}
