// Generated from the 'run' step spec by `npm run generate`. Do not edit: change the spec in packages/core instead.
const fs = require('node:fs');
const path = require('node:path');

// Packaged extensions carry the bundle inside each task folder; the repository shares one.
const local = path.join(__dirname, '_bundle', 'slipway.cjs');
const bundle = fs.existsSync(local) ? local : path.join(__dirname, '..', '_bundle', 'slipway.cjs');
require(bundle).runAzurePipelinesTask('run', 'post');
