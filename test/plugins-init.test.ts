// `hyperexport plugins init NAME`: the generated package builds and passes its own test as it is,
// against @hyperexport/core packed with `npm pack` and installed by npm in a folder outside the
// workspace, as a plugin author would have it.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import { expectNpmSucceeded, folderOutsideWorkspace, npm, npmInstall, packCore, removeFolder } from './support/npm-project.ts';

let work: string;
let coreTarball: string;

beforeAll(async () => {
  work = await folderOutsideWorkspace('hyperexport-plugins-init-');
  coreTarball = await packCore(work);
}, 300_000);

afterAll(() => removeFolder(work));

describe('plugins init', () => {
  it('scaffolds a package that installs, builds and passes its own test', async () => {
    const init = await runCli(['plugins', 'init', '@acme/hyperexport-disk-limit'], { cwd: work });
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const folder = join(work, 'hyperexport-disk-limit');
    expect(init.stdout).toContain(`wrote ${join(folder, 'src', 'index.ts')}`);
    expect((await readdir(folder)).sort()).toEqual(['.gitignore', 'README.md', 'package.json', 'src', 'tsconfig.json']);
    expect((await readdir(join(folder, 'src'))).sort()).toEqual(['index.test.ts', 'index.ts']);
    const manifest = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(manifest.name).toBe('@acme/hyperexport-disk-limit');
    expect(manifest.peerDependencies?.['@hyperexport/core']).toBe('^0.1.0');
    expect(await readFile(join(folder, 'src', 'index.ts'), 'utf8')).toContain('const PLUGIN = "@acme/hyperexport-disk-limit";');

    // The packed core stands in for the published one.
    await npmInstall(folder, [coreTarball], ['--save-dev']);
    expectNpmSucceeded(await npm(['run', 'build'], folder), 'npm run build of the scaffold');
    expect((await readdir(join(folder, 'dist'))).sort()).toEqual(expect.arrayContaining(['index.d.ts', 'index.js']));
    const test = await npm(['test'], folder);
    expectNpmSucceeded(test, 'npm test of the scaffold');
    expect(test.stdout).toMatch(/\bpass 3\b/);
    expect(test.stdout).toMatch(/\bfail 0\b/);
  }, 600_000);

  it('refuses a folder that exists and is not empty, and writes nothing into it', async () => {
    const folder = join(work, 'taken');
    await mkdir(folder);
    await writeFile(join(folder, 'notes.txt'), 'mine\n');
    const init = await runCli(['plugins', 'init', 'taken'], { cwd: work });
    expect(init.code).toBe(2);
    expect(init.stderr).toContain(`error: ${folder} already exists and is not empty (1 entry)`);
    expect(init.stderr).toContain('hint: choose another name, remove the folder, or run it from another folder');
    expect(await readdir(folder)).toEqual(['notes.txt']);
  });

  it('uses an empty folder that exists', async () => {
    await mkdir(join(work, 'empty-one'));
    const init = await runCli(['plugins', 'init', 'empty-one'], { cwd: work });
    expect(init.code).toBe(0);
    expect(await readdir(join(work, 'empty-one', 'src'))).toContain('index.ts');
  });

  it('refuses a name npm would refuse, before writing anything', async () => {
    const init = await runCli(['plugins', 'init', 'My_Plugin'], { cwd: work });
    expect(init.code).toBe(2);
    expect(init.stderr).toContain('error: "My_Plugin" cannot be a package name: the name has capital letters; npm names are lower case');
    expect(await readdir(work)).not.toContain('My_Plugin');
  });
});
