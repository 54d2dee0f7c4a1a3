#!/usr/bin/env node
import { runCli } from './program.js';

// `cnnx … | head` closes the pipe early: stop quietly, as Unix tools do, instead of an unhandled EPIPE
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

const code = await runCli(process.argv);
process.exitCode = code;
