import { defineConfig } from 'vitest/config';

/**
 * Suites that mint AKS-audience tokens share the Entra double's token-lifetime overrides (one shortens
 * the next few tokens of a principal to watch a renewal): they run one file at a time, beside the rest.
 */
const aksTokenSuites = ['test/integration/aks-context/**/*.test.ts', 'test/integration/sandbox/aks-entra.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'], exclude: aksTokenSuites } },
      { extends: true, test: { name: 'aks-tokens', include: aksTokenSuites, fileParallelism: false } },
    ],
  },
});
