// Generated from the 'run' step spec by `npm run generate`. Do not edit: change the spec in packages/core instead.
const fs = require('node:fs');
const path = require('node:path');

const local = path.join(__dirname, '_bundle', 'kube-token.cjs');
const bundle = fs.existsSync(local) ? local : path.join(__dirname, '..', '_bundle', 'kube-token.cjs');
require(bundle)
  .runKubeTokenPlugin(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
