import { describe, expect, it } from 'vitest';
import { childEnvironment, inputVariables } from '@slipway/core';

describe('childEnvironment', () => {
  it('drops input variables and secret values, keeps the rest', () => {
    const env = childEnvironment(
      { PATH: '/bin', 'INPUT_CLIENT-SECRET': 's3cret-value', SLIPWAY_CLIENT_SECRET: 's3cret-value', TOKEN_COPY: 's3cret-value', SLIPWAY_OTHER: 'x' },
      { withhold: inputVariables(['client-secret']), isSecret: (value) => value === 's3cret-value' },
    );
    expect(env).toEqual({ PATH: '/bin', SLIPWAY_OTHER: 'x' });
  });

  it('skips values that are not strings (an environment read from JSON) instead of crashing the secret check', () => {
    const base = { PATH: '/bin', FROM_JSON: null } as unknown as Record<string, string | undefined>;
    expect(childEnvironment(base, { isSecret: (value) => value.trim() === 'never' })).toEqual({ PATH: '/bin' });
  });
});
