export { main } from './main.ts';
export { CliHost } from './cli-host.ts';
export { parseArgv } from './parse-argv.ts';
export { renderStepHelp, renderGlobalHelp } from './render-help.ts';
