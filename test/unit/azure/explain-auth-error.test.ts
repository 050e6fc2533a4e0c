import { AggregateAuthenticationError, AuthenticationError, CredentialUnavailableError } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { describeAssertion, explainAuthError, isKnownErrorCode, SlipwayError } from '@slipway/core';

/** The body Entra ID sends, as @azure/identity receives it. */
function entraError(status: number, code: number, text: string): AuthenticationError {
  return new AuthenticationError(status, {
    error: 'invalid_client',
    error_description: `AADSTS${code}: ${text} Trace ID: 0000 Correlation ID: 1111 Timestamp: 2026-01-01 00:00:00Z`,
    error_codes: [code],
  });
}

/** Shaped like @azure/core-rest-pipeline's RestError, which @azure/container-registry throws: the body is the message. */
function restError(message: string, statusCode: number): Error {
  return Object.assign(new Error(message), { name: 'RestError', statusCode, code: undefined });
}

/** An ACR 401/403 body (`{"errors":[{"code":"UNAUTHORIZED",…}]}`) in a RestError. */
function acrError(status: number, code: 'UNAUTHORIZED' | 'DENIED', text: string): Error {
  return restError(JSON.stringify({ errors: [{ code, message: text }] }), status);
}

const action = 'pushing acr.example.io/team/api';

describe('explainAuthError', () => {
  it.each<[string, unknown, string, string]>([
    ['a wrong client secret', entraError(401, 7000215, 'Invalid client secret provided.'), 'AADSTS7000215', 'copied the secret value, not its id'],
    [
      'an expired OIDC assertion',
      entraError(400, 700024, 'Client assertion is not within its valid time range.'),
      'AADSTS700024',
      'expired or the runner clock is skewed',
    ],
    [
      'a federated credential for another subject',
      entraError(400, 700213, 'No matching federated identity record found for presented assertion subject.'),
      'AADSTS700213',
      'presented subject',
    ],
    [
      'a federated credential for another audience',
      entraError(400, 70021, 'No matching federated identity record found for presented assertion.'),
      'AADSTS70021',
      'matches the presented issuer/subject/audience',
    ],
    ['an unknown client', entraError(400, 700016, 'Application not found in the directory.'), 'AADSTS700016', 'check client-id and tenant-id'],
    [
      'a code only in error_codes',
      new AuthenticationError(401, { error: 'invalid_client', error_description: 'Invalid client secret provided.', error_codes: [7000215] }),
      'AADSTS7000215',
      'not its id',
    ],
    [
      "the default chain's aggregate error",
      new AggregateAuthenticationError([entraError(400, 90002, "Tenant 'x' not found.")], 'ChainedTokenCredential authentication failed.'),
      'AADSTS90002',
      'check tenant-id and azure-environment',
    ],
    ['MSAL text wrapped in another error', new Error('AADSTS7000222: The provided client secret keys are expired.'), 'AADSTS7000222', 'create a new one'],
    [
      'ACR refusing the token',
      acrError(401, 'UNAUTHORIZED', 'authentication required, visit https://aka.ms/acr/authorization for more information.'),
      'REGISTRY_AUTH_FAILED',
      'refused the token',
    ],
    ['ACR denying a signed-in identity', acrError(403, 'DENIED', 'requested access to the resource is denied'), 'REGISTRY_AUTH_FAILED', 'AcrPush'],
    ['a 403 without a body', restError('Forbidden', 403), 'REGISTRY_AUTH_FAILED', 'AcrPush'],
    [
      'the token exchange answering 401 (built from a fetch response)',
      Object.assign(new Error('ACR token exchange answered 401: {"errors":[{"code":"UNAUTHORIZED","message":"invalid token"}]}'), { statusCode: 401 }),
      'REGISTRY_AUTH_FAILED',
      'refused the token',
    ],
    [
      'no managed identity here',
      new CredentialUnavailableError('ManagedIdentityCredential: no managed identity endpoint found.'),
      'AZURE_AUTH_FAILED',
      'choose auth explicitly',
    ],
    ['anything else', new Error('socket hang up'), 'AZURE_AUTH_FAILED', 'check the Azure sign-in inputs'],
  ])('%s', (_, error, code, hint) => {
    const explained = explainAuthError(error, { action });
    expect(explained).toBeInstanceOf(SlipwayError);
    expect(explained.code).toBe(code);
    expect(isKnownErrorCode(explained.code)).toBe(true);
    expect(explained.exitCode).toBe(3);
    expect(explained.hint).toContain(hint);
    expect(explained.cause).toBe(error);
    expect(explained.message.startsWith(`${action}: `)).toBe(true);
  });

  it('is an Entra failure, not the registry, when Entra answers 401 without a code', () => {
    const error = new AuthenticationError(401, { error: 'invalid_client', error_description: 'Client authentication failed.' });
    expect(explainAuthError(error, { action }).code).toBe('AZURE_AUTH_FAILED');
  });

  it('quotes the AADSTS line, without Entra trace ids, rather than the status line', () => {
    const message = explainAuthError(entraError(401, 7000215, 'Invalid client secret provided.'), { action }).message;
    expect(message).toBe(`${action}: AADSTS7000215: Invalid client secret provided.`);
  });

  it('names the issuer and subject that were presented when no federated credential matches', () => {
    const hint = explainAuthError(entraError(400, 700213, 'No matching federated identity record found.'), {
      action,
      assertion: { issuer: 'https://token.actions.githubusercontent.com', subject: 'repo:contoso/api:ref:refs/heads/feature' },
    }).hint;
    expect(hint).toContain("subject 'repo:contoso/api:ref:refs/heads/feature'");
    expect(hint).toContain("issuer 'https://token.actions.githubusercontent.com'");
  });
});

describe('describeAssertion', () => {
  it('reads iss, sub and aud of a JWT without verifying it, and nothing of garbage', () => {
    const payload = Buffer.from(JSON.stringify({ iss: 'https://issuer', sub: 'repo:a/b:ref:refs/heads/main', aud: ['api://AzureADTokenExchange'] })).toString(
      'base64url',
    );
    expect(describeAssertion(`e30.${payload}.sig`)).toEqual({
      issuer: 'https://issuer',
      subject: 'repo:a/b:ref:refs/heads/main',
      audience: 'api://AzureADTokenExchange',
    });
    expect(describeAssertion('not a jwt')).toEqual({});
  });
});
