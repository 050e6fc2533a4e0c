import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as internal from 'azure-pipelines-task-lib/internal';
import * as tl from 'azure-pipelines-task-lib/task';
import type { FederatedTokenHandOff } from '@slipway/core';

/** What an Azure Resource Manager service connection provides, read through the task-lib. */
export interface AzureServiceConnection {
  id: string;
  scheme: string;
  tenantId: string | undefined;
  clientId: string | undefined;
  secret: string | undefined;
  certificatePem: string | undefined;
}

export function readServiceConnection(id: string): AzureServiceConnection {
  const scheme = tl.getEndpointAuthorizationScheme(id, false) ?? '';
  // From the task-lib's vault, not tl.getEndpointAuthorizationParameter, which writes `<key> = <value>` to the
  // debug log before anything could mask it (the service principal key and certificate among them).
  const param = (key: string) => internal._vault.retrieveSecret(`ENDPOINT_AUTH_PARAMETER_${id}_${key.toUpperCase()}`) || undefined;
  const certificate = param('authenticationType') === 'spnCertificate';
  return {
    id,
    scheme,
    tenantId: param('tenantid'),
    clientId: param('serviceprincipalid'),
    secret: scheme === 'ServicePrincipal' && !certificate ? param('serviceprincipalkey') : undefined,
    certificatePem: scheme === 'ServicePrincipal' && certificate ? param('servicePrincipalCertificate') : undefined,
  };
}

/** The engine input a service connection supplies when the user gave none. */
export function inputFromServiceConnection(connection: AzureServiceConnection, name: string, tempDir: string): string | undefined {
  switch (name) {
    case 'tenant-id':
      return connection.tenantId;
    case 'client-id':
      return connection.clientId;
    case 'client-secret':
      return connection.secret;
    case 'client-certificate-path': {
      if (!connection.certificatePem) return undefined;
      // The certificate is a secret: it only ever lives in a private 0600 file.
      const dir = mkdtempSync(path.join(tempDir, 'slipway-spn-'));
      const file = path.join(dir, 'certificate.pem');
      writeFileSync(file, connection.certificatePem, { mode: 0o600 });
      return file;
    }
    case 'auth':
      if (connection.scheme === 'WorkloadIdentityFederation') return 'oidc';
      if (connection.scheme === 'ManagedServiceIdentity') return 'managed-identity';
      if (connection.scheme === 'ServicePrincipal') return connection.certificatePem ? 'client-certificate' : 'client-secret';
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Workload identity federation: the agent's OIDC endpoint mints a token for the service connection
 * (the same call AzurePipelinesCredential makes), anew for every assertion.
 */
export function serviceConnectionTokenSource(connectionId: string): ((audience: string) => Promise<string>) | undefined {
  const handOff = serviceConnectionHandOff(connectionId);
  if (!handOff) return undefined;
  const { requestUri, accessToken } = handOff;
  return async () => {
    const url = `${requestUri}?api-version=7.1&serviceConnectionId=${encodeURIComponent(connectionId)}`;
    const response = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' } });
    const body = (await response.json().catch(() => ({}))) as { oidcToken?: unknown };
    if (!response.ok || typeof body.oidcToken !== 'string') {
      throw new Error(`the Azure Pipelines OIDC endpoint answered ${response.status} for service connection ${connectionId}`);
    }
    tl.setSecret(body.oidcToken);
    return body.oidcToken;
  };
}

/**
 * What the kube-token plugin needs to make the same request from another process: kubectl runs it in
 * later script steps, which have neither the task-lib's vault nor System.AccessToken (unless mapped).
 */
export function serviceConnectionHandOff(connectionId: string): Extract<FederatedTokenHandOff, { kind: 'azure-pipelines' }> | undefined {
  const requestUri = tl.getVariable('System.OidcRequestUri');
  // From the task-lib's vault directly: tl.getEndpointAuthorizationParameter writes the value it returns
  // to the debug log (the agent masks System.AccessToken there, but it need not be written at all).
  const accessToken = internal._vault.retrieveSecret('ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN') || tl.getVariable('System.AccessToken');
  if (!requestUri || !accessToken) return undefined;
  return { kind: 'azure-pipelines', requestUri, accessToken, serviceConnectionId: connectionId };
}
