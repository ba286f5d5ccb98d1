// docs/cli.md and the man page are generated from the command definitions (`npm run docs:cli`);
// this fails when a command or option changed and they were not regenerated, and checks that the
// man page is valid roff as mandoc and man read it.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLUGINS } from '@hyperexport/cli';
import { createCli, manPageDate, renderMan, renderMarkdown } from '@hyperexport/core/cli';
import { REPO_ROOT } from './support/cli.ts';

const exec = promisify(execFile);
const MAN_PAGE = join(REPO_ROOT, 'docs', 'hyperexport.1');
const STALE = 'is out of date with the command definitions: run `npm run docs:cli` and commit the result';

describe('the CLI reference', () => {
  it('docs/cli.md and docs/hyperexport.1 are what the commands say today', async () => {
    const cli = await createCli({ defaultPlugins: DEFAULT_PLUGINS });
    const markdown = renderMarkdown(cli);
    expect(await readFile(join(REPO_ROOT, 'docs', 'cli.md'), 'utf8'), `docs/cli.md ${STALE}`).toBe(markdown);
    const manPage = await readFile(MAN_PAGE, 'utf8');
    const date = manPageDate(manPage);
    expect(date, 'the .TH line of docs/hyperexport.1 has a YYYY-MM-DD date').toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(manPage, `docs/hyperexport.1 ${STALE}`).toBe(renderMan(cli, date!));
    // Every command and every option of theirs is in it.
    for (const command of cli.commands()) {
      expect(markdown).toContain(`hyperexport ${command.path.join(' ')}`);
      for (const option of command.options) if (!option.hidden) expect(markdown).toContain(`\`${option.names.join(',')}`);
    }
    expect(markdown).toContain('| `--output,-o DIR` | Directory to write the export to |');
  });

  it('the man page is valid roff: no mandoc warning, and man renders every section', async () => {
    const lint = await exec('mandoc', ['-T', 'lint', '-W', 'warning', MAN_PAGE]).then(
      (result) => ({ code: 0, output: result.stdout + result.stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }),
    );
    expect(lint).toEqual({ code: 0, output: '' });
    const { stdout } = await exec('man', ['-l', MAN_PAGE], { env: { ...process.env, MANWIDTH: '120', MAN_KEEP_FORMATTING: '', PAGER: 'cat' } });
    for (const heading of ['NAME', 'SYNOPSIS', 'COMMANDS', 'EXIT STATUS']) expect(stdout).toMatch(new RegExp(`^${heading}$`, 'm'));
    expect(stdout).toMatch(/^ {7}--output,-o DIR\n {14}Directory to write the export to$/m);
  });
});
