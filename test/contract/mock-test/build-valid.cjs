// MockTestRunner entry (test/contract/mock-test-runner.test.ts): SlipwayBuildV1 with valid inputs.
// Black box: nothing is registered with registerMock and run(true) leaves azure-pipelines-task-lib/task
// unmocked, so the staged task's own code and its bundled task-lib run as the agent would run them.
// The staged task folder comes from SLIPWAY_MOCK_TASK_DIR; the workspace and buildah settings from the
// agent-style variables the test sets.
const path = require('node:path');
const { TaskMockRunner } = require('azure-pipelines-task-lib/mock-run');

// The test checks this line: MockTestRunner chose the Node it was given.
console.log(`entry node ${process.version}`);
const runner = new TaskMockRunner(path.join(process.env.SLIPWAY_MOCK_TASK_DIR, 'index.js'));
runner.setInput('image', 'registry.example.test/team/hello');
runner.setInput('context', '.');
runner.setInput('file', 'Containerfile');
runner.setInput('target', 'runtime');
runner.setInput('buildArgs', 'GREETING=hola');
runner.setInput('tags', 'candidate');
runner.run(true);
