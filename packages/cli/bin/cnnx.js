#!/usr/bin/env node
// The `cnnx` command as npm links it. This file is committed, so it exists when `npm ci` links the bins of a
// fresh clone (before `npm run build` has made dist/); it runs the built program.
try {
  await import('../dist/bin.js');
} catch (error) {
  const missing = error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/bin.js');
  if (!missing) throw error;
  process.stderr.write(
    'cnnx: the command is not built yet; run `npm run build` in the cnnx checkout first\n',
  );
  process.exitCode = 1;
}
