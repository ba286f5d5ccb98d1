// Writes docs/cli.md and docs/hyperexport.1 from the command definitions (the CLI with its
// built-in plugins, no config). Run it after changing a command or an option: `npm run docs:cli`.
// test/cli-docs.test.ts fails when the committed files differ from what this writes.
import { readFile, writeFile } from 'node:fs/promises';
import { DEFAULT_PLUGINS } from '@hyperexport/cli';
import { createCli, manPageDate, renderMan, renderMarkdown } from '@hyperexport/core/cli';

const cli = await createCli({ defaultPlugins: DEFAULT_PLUGINS });
const docs = new URL('../docs/', import.meta.url);
await writeFile(new URL('cli.md', docs), renderMarkdown(cli));
const manPage = new URL('hyperexport.1', docs);
// The page keeps its date while its text stays the same; a changed page is dated today.
const previous = await readFile(manPage, 'utf8').catch(() => '');
const kept = manPageDate(previous);
const unchanged = kept !== undefined && renderMan(cli, kept) === previous;
await writeFile(manPage, unchanged ? previous : renderMan(cli, new Date().toISOString().slice(0, 10)));
console.log('wrote docs/cli.md and docs/hyperexport.1');
