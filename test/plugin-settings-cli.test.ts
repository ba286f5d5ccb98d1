// Plugins declare their flags and profile keys (issue 13): the CLI builds `export --help`, the
// `profiles save` flags and the profile schema from the plugins the config loads. Through the
// built CLI, with configs that name packages (they resolve next to the config, inside the repository).
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

let work: string;
let configDirectory: string;
let profilesDir: string;
let vm: MadeVm;
/** Only the local source and store: no compress, no snapshot, no upload. */
let bareConfig: string;
/** The same, with compress. */
let compressConfig: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-plugin-settings-'));
  profilesDir = join(work, 'profiles');
  await mkdir(join(REPO_ROOT, '.tmp'), { recursive: true });
  configDirectory = await mkdtemp(join(REPO_ROOT, '.tmp', 'plugin-settings-'));
  bareConfig = join(configDirectory, 'bare.config.json');
  await writeFile(bareConfig, JSON.stringify({ builtins: false, plugins: ['@hyperexport/source-local', '@hyperexport/store-local'] }));
  compressConfig = join(configDirectory, 'compress.config.json');
  await writeFile(
    compressConfig,
    JSON.stringify({ builtins: false, plugins: ['@hyperexport/source-local', '@hyperexport/store-local', '@hyperexport/compress'] }),
  );
  vm = await makeVmFolder(join(work, 'vms', 'app01'), 'app01', [1]);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(configDirectory, { recursive: true, force: true });
});

/** The Options part of a help page (the examples may name any plugin's flags). */
function optionsSection(help: string): string {
  const start = help.indexOf('\nOptions\n');
  expect(start, help).toBeGreaterThan(-1);
  const end = help.indexOf('\nDetails\n', start);
  return help.slice(start, end === -1 ? undefined : end);
}

const cli = (args: string[]) => runCli(args, { cwd: work, env: { HYPEREXPORT_PROFILES_DIR: profilesDir } });

describe("a plugin's flags exist only when the plugin is loaded", () => {
  it('export --help lists --compress with compress configured, and not without; the core flags either way', async () => {
    const bare = await cli(['export', '--help', '--config', bareConfig]);
    expect(bare.code).toBe(0);
    const bareOptions = optionsSection(bare.stdout);
    expect(bareOptions).toMatch(/--output,-o DIR/);
    expect(bareOptions).toMatch(/--format ova\|ovf/);
    expect(bareOptions).not.toContain('--compress');
    expect(bareOptions).not.toContain('--snapshot-before');
    expect(bareOptions).not.toContain('--upload');

    const withCompress = await cli(['export', '--help', '--config', compressConfig]);
    expect(withCompress.code).toBe(0);
    expect(optionsSection(withCompress.stdout)).toMatch(/--compress ALGO\[:LEVEL\] +Compress disks or the OVA/);
    expect(optionsSection(withCompress.stdout)).not.toContain('--snapshot-before');
  });

  it("a plugin's flag without its plugin is a usage error that says why", async () => {
    const run = await cli(['export', '--config', bareConfig, '--source', vm.directory, '--output', join(work, 'out-unknown'), '--compress', 'zstd']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unsupported option name ("--compress")');
    expect(run.stderr).toContain(`hint: no command flag and no setting of a loaded plugin is --compress (config: ${bareConfig})`);
    await expect(readdir(join(work, 'out-unknown'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("a plugin's commands come from its definition: `remote ls` exists only when store-remote is loaded", async () => {
    const bare = await cli(['remote', 'ls', 'file:///nowhere', '--config', bareConfig]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/unknown command "remote"/);
    const storeRemoteConfig = join(configDirectory, 'store-remote.config.json');
    await writeFile(storeRemoteConfig, JSON.stringify({ builtins: false, plugins: ['@hyperexport/store-local', '@hyperexport/store-remote'] }));
    const help = await cli(['remote', 'ls', '--help', '--config', storeRemoteConfig]);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/remote ls/);
  });

  it('a config that cannot be loaded leaves help working with the core flags, and the command reports the error', async () => {
    const broken = join(configDirectory, 'broken.config.json');
    await writeFile(broken, '{ "plugins": [');
    const help = await cli(['export', '--help', '--config', broken]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--output,-o DIR/);
    const run = await cli(['export', '--config', broken, '--source', vm.directory, '--output', join(work, 'out-broken')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: cannot load the config ${broken}`);
  });

  it("a plugin's command under a config that cannot be loaded reports the config error, not an unknown command", async () => {
    const broken = join(configDirectory, 'broken-for-remote.config.json');
    await writeFile(broken, '{ "plugins": [');
    const run = await cli(['remote', 'ls', 'file:///nowhere', '--config', broken]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: cannot load the config ${broken}`);
    expect(run.stderr).toMatch(/its plugins' commands and flags are missing until it loads/);
    // A plugin's flag under the same config: the config error is said once.
    const flag = await cli(['export', '--config', broken, '--source', vm.directory, '--compress', 'zstd']);
    expect(flag.code).toBe(2);
    expect(flag.stderr.split('cannot load the config').length - 1, flag.stderr).toBe(1);
  });
});

describe('profile keys are the settings the loaded plugins declare', () => {
  it('a profile saved with a plugin key (compress) applies it to the export', async () => {
    const saved = await cli(['profiles', 'save', 'zstd-ovf', '--config', compressConfig, '--compress', 'zstd:5', '--format', 'ovf']);
    expect(saved.stderr).toBe('');
    expect(saved.code).toBe(0);
    const output = join(work, 'out-profile');
    const run = await cli(['export', '--config', compressConfig, '--source', vm.directory, '--output', output, '--profile', 'zstd-ovf']);
    expect(run.code, run.stderr).toBe(0);
    expect((await readdir(join(output, 'app01'))).sort()).toEqual(['app01.mf', 'app01.ovf', 'app01.vmdk.zst']);
  });

  it('a profile key no loaded plugin declares is refused (exit 2), naming the key and the profile file', async () => {
    await mkdir(profilesDir, { recursive: true });
    const file = join(profilesDir, 'packed.json');
    await writeFile(file, JSON.stringify({ format: 'ovf', compress: 'zstd' }));
    const output = join(work, 'out-undeclared');
    const run = await cli(['export', '--config', bareConfig, '--source', vm.directory, '--output', output, '--profile', 'packed']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: "compress" (from --profile packed (${file})) is set, but no configured plugin handles it`);
    await expect(readdir(output)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("a bad value in a profile is a usage error naming the setting and the profile, by the plugin's schema", async () => {
    await mkdir(profilesDir, { recursive: true });
    await writeFile(join(profilesDir, 'lz4.json'), JSON.stringify({ compress: 'lz4' }));
    const run = await cli(['export', '--config', compressConfig, '--source', vm.directory, '--output', join(work, 'out-lz4'), '--profile', 'lz4']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/"compress": bad compression "lz4": unknown algorithm/);
  });
});
