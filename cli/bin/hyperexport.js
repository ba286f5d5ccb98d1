#!/usr/bin/env node
// Entry point of the `hyperexport` command (the single executable's is src/sea-main.ts).
import { createRequire } from 'node:module';

const { quietUserFolderWarnings } = await import('../dist/quiet-warnings.js');
quietUserFolderWarnings();
const { version } = createRequire(import.meta.url)('../package.json');
const { run } = await import('../dist/index.js');
process.exitCode = await run(process.argv.slice(2), { version });
