import { mkdirSync, rmSync, existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { defineStep, ExitCode, SlipwayError, type StepSpec } from '@slipway/core';

/**
 * A test-only step with a post phase, registered through `registerStep` and bundled with a host by the
 * host contract tests. Its main phase does what a deploy step will (a file with credentials in the job's
 * temp directory, its path saved as state) and also prints its `message` input through every log channel
 * and a child's command line; its post phase removes the file. Outputs let tests see what a child
 * process inherited without printing any value.
 */
export const fixtureSpec = {
  id: 'post-fixture',
  title: 'Slipway post-phase fixture',
  description: 'Test-only step with a post phase.',
  taskName: 'SlipwayPostFixtureV1',
  taskId: '00000000-0000-0000-0000-00000000f1c5',
  taskVersion: { major: 1, minor: 0, patch: 0 },
  branding: { icon: 'box', color: 'gray-dark' },
  groups: [],
  postPhase: true,
  inputs: [
    { name: 'message', type: 'multiline', description: 'Printed through every log channel and passed to a child as an argument.' },
    { name: 'token', type: 'string', secret: true, description: 'A secret: children must not inherit it.' },
    { name: 'mode', type: 'enum', allowed: ['succeed', 'fail', 'wait'], default: 'succeed', description: 'How the main phase ends.' },
    { name: 'post-mode', type: 'enum', allowed: ['clean', 'warn', 'dirty'], default: 'clean', description: 'How the post phase ends.' },
  ],
  outputs: [
    { name: 'scratch', description: 'The file the post phase removes.' },
    { name: 'echo', description: 'The message, as given.' },
    { name: 'child-env', description: 'JSON: names of the variables the child inherited.' },
    { name: 'child-saw-token', description: 'true when a variable of the child held the token.' },
  ],
} as const satisfies StepSpec;

export const fixtureStep = defineStep({
  spec: fixtureSpec,
  validate: (values) => values,
  async run(inputs, deps) {
    const message = inputs.message ?? '';
    mkdirSync(deps.tempDir, { recursive: true });
    const scratch = path.join(mkdtempSync(path.join(deps.tempDir, 'slipway-fixture-')), 'kubeconfig');
    writeFileSync(scratch, 'credentials', { mode: 0o600 });
    deps.state.save('scratch', scratch);
    deps.state.save('post-mode', inputs.postMode);

    const child = await deps.log.group(`fixture ${message}`, () =>
      deps.runner.run(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(process.env))', message]),
    );
    const env = JSON.parse(child.stdout) as Record<string, string>;
    deps.log.info(`info ${message}`);
    deps.log.warning(`warning ${message}`);
    deps.log.debug(`debug ${message}`);
    if (inputs.mode === 'wait') {
      deps.log.info('fixture: waiting to be cancelled');
      await deps.sleep(600_000);
    }
    if (inputs.mode === 'fail') throw new SlipwayError('FIXTURE_FAILED', `failed on ${message}`, ExitCode.environment);
    return {
      outcome: 'succeeded',
      outputs: {
        scratch,
        echo: message,
        'child-env': JSON.stringify(Object.keys(env).sort()),
        'child-saw-token': String(inputs.token !== undefined && Object.values(env).includes(inputs.token)),
      },
      summary: `fixture ${message}`,
      result: { scratch },
    };
  },
  async post(deps) {
    const scratch = deps.state.get('scratch');
    const mode = deps.state.get('post-mode') ?? 'clean';
    if (mode === 'warn') throw new Error('cleanup hiccup');
    if (mode === 'dirty') {
      throw new SlipwayError('FIXTURE_DIRTY', `could not remove ${scratch}`, ExitCode.needsHuman);
    }
    // A post phase can still run tools after a cancelled main phase.
    await deps.runner.run(process.execPath, ['-e', '']);
    if (scratch && existsSync(scratch)) rmSync(path.dirname(scratch), { recursive: true, force: true });
    deps.log.info(`post: removed ${scratch ?? '(nothing saved)'}`);
  },
});
