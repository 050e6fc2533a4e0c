// MockTestRunner entry (test/contract/mock-test-runner.test.ts): SlipwayBuildV1 with an invalid
// `builder`, run black box (no mocks, run(true)): the real task must fail and name the input.
const path = require('node:path');
const { TaskMockRunner } = require('azure-pipelines-task-lib/mock-run');

// The test checks this line: MockTestRunner chose the Node it was given.
console.log(`entry node ${process.version}`);
const runner = new TaskMockRunner(path.join(process.env.SLIPWAY_MOCK_TASK_DIR, 'index.js'));
runner.setInput('image', 'registry.example.test/team/hello');
runner.setInput('context', '.');
runner.setInput('file', 'Containerfile');
runner.setInput('builder', 'kaniko');
runner.run(true);
