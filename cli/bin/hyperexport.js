#!/usr/bin/env node
// Entry point of the `hyperexport` command.
// A user's config folder often has no package.json saying "type": "module"; Node then warns
// (MODULE_TYPELESS_PACKAGE_JSON) when it loads hyperexport.config.ts. That warning is about the
// user's folder, not something they asked about, so it is dropped here.
import { createRequire } from 'node:module';

const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const code = typeof rest[0] === 'object' && rest[0] !== null ? rest[0].code : rest[1];
  if (code === 'MODULE_TYPELESS_PACKAGE_JSON') return;
  if (typeof warning === 'string' && /Type Stripping is an experimental feature/.test(warning)) return;
  emitWarning(warning, ...rest);
};
const { version } = createRequire(import.meta.url)('../package.json');
const { run } = await import('../dist/index.js');
process.exitCode = await run(process.argv.slice(2), { version });
