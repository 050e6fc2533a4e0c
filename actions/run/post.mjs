// Generated from the 'run' step spec by `npm run generate`. Do not edit: change the spec in packages/core instead.
import { runGitHubAction } from '../_bundle/slipway.mjs';

await runGitHubAction('run', 'post');
