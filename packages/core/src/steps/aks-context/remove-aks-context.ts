import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, SlipwayError } from '../../errors/index.ts';
import type { StepDeps } from '../framework/step-deps.ts';

/** The state the main phase saves: the private directory holding the kubeconfig, the plugin config and the token cache. */
export const aksContextStateKey = 'aks-dir';

/**
 * The post phase: removes the directory the main phase saved, with the kubeconfig and every credential
 * beside it. A directory that is not one aks-context makes (`slipway-aks-*`) is left alone, whatever the
 * state says. Files that stay behind are credentials on the runner: exit 4, a human must look.
 */
export async function removeAksContext(deps: StepDeps): Promise<void> {
  const dir = deps.state.get(aksContextStateKey);
  if (!dir) {
    deps.log.debug('aks-context: no kubeconfig to remove (the main phase stopped before writing one)');
    return;
  }
  if (!path.isAbsolute(dir) || !path.basename(dir).startsWith('slipway-aks-')) {
    deps.log.warning(`aks-context: not removing '${dir}', which is not a directory aks-context made`);
    return;
  }
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    if (existsSync(dir)) {
      throw new SlipwayError(
        'KUBECONFIG_NOT_REMOVED',
        `could not remove ${dir}, which holds the cluster's kubeconfig and credentials: ${(error as Error).message}`,
        ExitCode.needsHuman,
        {
          hint: `remove it by hand (rm -rf ${dir}); on a self-hosted runner, before the next job runs`,
          cause: error,
        },
      );
    }
  }
  deps.log.info(`aks-context: removed ${dir}`);
}
