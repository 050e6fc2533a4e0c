import type { StepDeps } from '../steps/framework/step-deps.ts';
import type { AzureAuth } from './azure-auth.ts';
import { type CreatedCredential, type CredentialContext, createCredential } from './create-credential.ts';
import { describeAssertion, type PresentedAssertion } from './explain-auth-error.ts';

export interface StepCredential extends CreatedCredential {
  /** What the credential was built with (the host's federated token source, wrapped). */
  readonly context: CredentialContext;
  /** The claims of the last federated assertion presented, so a rejected sign-in can name its issuer and subject. */
  readonly lastAssertion: () => PresentedAssertion | undefined;
}

/**
 * The Azure credential a step signs in with: the shared factory, fed the host's federated token source
 * wrapped so that every fresh assertion is masked as soon as it exists and remembered for error messages.
 */
export function createStepCredential(auth: AzureAuth, deps: Pick<StepDeps, 'federatedToken' | 'setSecret'>): StepCredential {
  let lastAssertion: PresentedAssertion | undefined;
  const source = deps.federatedToken;
  const context: CredentialContext = source
    ? {
        federatedToken: async (audience: string) => {
          const token = await source(audience);
          deps.setSecret(token);
          lastAssertion = describeAssertion(token);
          return token;
        },
      }
    : {};
  return { ...createCredential(auth, context), context, lastAssertion: () => lastAssertion };
}
