// Generated from the 'run' step spec by `npm run generate`. Do not edit: change the spec in packages/core instead.
import { runKubeTokenPlugin } from '../_bundle/kube-token.mjs';

process.exitCode = await runKubeTokenPlugin(process.argv.slice(2));
