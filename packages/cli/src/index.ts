export { CliError, UsageError } from './errors.js';
export { writeFileAtomic, writeJsonAtomic } from './io.js';
export { createProgram, runCli, VERSION } from './program.js';
