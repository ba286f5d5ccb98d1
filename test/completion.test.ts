// `hyperexport completion bash|zsh|fish`: each script is loaded into the real shell and asked for
// completions: commands, subcommands, options, values of a fixed set, and files or folders for
// FILE and DIR placeholders.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from './support/cli-in-process.ts';

const exec = promisify(execFile);
let work: string;
/** A folder to complete in: one file and one sub-folder. */
let files: string;
const scripts: Record<string, string> = {};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-completion-'));
  files = join(work, 'files');
  await mkdir(join(files, 'exports'), { recursive: true });
  await writeFile(join(files, 'web01.ova'), '');
  for (const shell of ['bash', 'zsh', 'fish']) {
    const run = await runInProcess(['completion', shell]);
    expect(run.code, run.stderr).toBe(0);
    scripts[shell] = join(work, `hyperexport.${shell}`);
    await writeFile(scripts[shell], run.stdout);
  }
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** bash: the script sourced, `complete -p` checked, the function called as readline would. */
async function bashComplete(line: string[]): Promise<string[]> {
  const script = [
    `source ${shellQuote(scripts.bash!)}`,
    `complete -p hyperexport >/dev/null || exit 3`,
    `COMP_WORDS=(${line.map(shellQuote).join(' ')}); COMP_CWORD=${line.length - 1}`,
    `_hyperexport; printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  const { stdout } = await exec('bash', ['--norc', '--noprofile', '-c', script], { cwd: files });
  return stdout.split('\n').filter(Boolean).sort();
}

/** fish: `complete -C` prints what fish itself would offer for the command line. */
async function fishComplete(line: string): Promise<string[]> {
  const { stdout } = await exec('fish', ['--no-config', '-c', `source ${shellQuote(scripts.fish!)}; complete -C${shellQuote(line)}`], { cwd: files });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((entry) => entry.split('\t')[0]!)
    .sort();
}

/**
 * zsh: loaded the way zsh loads completions (a `#compdef` file in $fpath, compinit), then the
 * function is run with the completion builtins recording what they were given.
 */
async function zshComplete(line: string[]): Promise<string[]> {
  const folder = join(work, 'fpath');
  await mkdir(folder, { recursive: true });
  await exec('cp', [scripts.zsh!, join(folder, '_hyperexport')]);
  const script = [
    `fpath=(${shellQuote(folder)} $fpath)`,
    `autoload -Uz compinit && compinit -u -d ${shellQuote(join(work, 'zcompdump'))}`,
    `[[ $_comps[hyperexport] == _hyperexport ]] || exit 3`,
    `compadd() { print -rl -- \${@:#--} }`,
    `_describe() { local -a recorded; recorded=("\${(@P)4}"); print -rl -- \${recorded%%:*} }`,
    `_files() { [[ $1 == -/ ]] && print -r -- '<folders>' || print -r -- '<files>' }`,
    `_message() { }`,
    `words=(${line.map(shellQuote).join(' ')}); CURRENT=${line.length}`,
    `_hyperexport`,
  ].join('\n');
  const { stdout } = await exec('zsh', ['-f', '-c', script], { cwd: files });
  const current = line.at(-1)!;
  // compadd filters by what is typed; the recorder does not, so filter here as zsh would.
  return stdout
    .split('\n')
    .filter((entry) => entry && (entry.startsWith('<') || entry.startsWith(current)))
    .sort();
}

describe('bash', () => {
  it('completes commands, subcommands, options, fixed values, files and folders', async () => {
    expect(await bashComplete(['hyperexport', 'exp'])).toEqual(['export']);
    expect(await bashComplete(['hyperexport', 'remote', ''])).toEqual(['get', 'ls', 'rm']);
    expect(await bashComplete(['hyperexport', 'export', '--out'])).toEqual(['--output']);
    expect(await bashComplete(['hyperexport', 'export', '--format', ''])).toEqual(['ova', 'ovf']);
    expect(await bashComplete(['hyperexport', 'export', '--output', ''])).toEqual(['exports']);
    expect(await bashComplete(['hyperexport', 'export', '--batch', 'w'])).toEqual(['web01.ova']);
    expect(await bashComplete(['hyperexport', 'restore', ''])).toEqual(['exports', 'web01.ova']);
    expect(await bashComplete(['hyperexport', 'help', 'remote', ''])).toEqual(['get', 'ls', 'rm']);
    expect(await bashComplete(['hyperexport', 'completion', ''])).toEqual(['bash', 'fish', 'zsh']);
    // --option=value, which bash splits at the "=".
    expect(await bashComplete(['hyperexport', 'export', '--format', '=', 'o'])).toEqual(['ova', 'ovf']);
    expect(await bashComplete(['hyperexport', 'export', '--debug', '=', 'w'])).toEqual(['web01.ova']);
    // A value with no fixed set completes nothing (not the option list, not files).
    expect(await bashComplete(['hyperexport', 'export', '--vm', ''])).toEqual([]);
  });
});

describe('zsh', () => {
  it('is found by compinit in $fpath and completes the same', async () => {
    expect(await zshComplete(['hyperexport', 'exp'])).toEqual(['export']);
    expect(await zshComplete(['hyperexport', 'remote', ''])).toEqual(['get', 'ls', 'rm']);
    expect(await zshComplete(['hyperexport', 'export', '--out'])).toEqual(['--output']);
    expect(await zshComplete(['hyperexport', 'export', '--format', ''])).toEqual(['ova', 'ovf']);
    expect(await zshComplete(['hyperexport', 'export', '-o', ''])).toEqual(['<folders>']);
    expect(await zshComplete(['hyperexport', 'restore', ''])).toEqual(['<files>']);
  });
});

/**
 * zsh, interactively: an `zsh -i` under a pseudo-terminal (zsh/zpty), compinit finding the script
 * in $fpath, the line typed and TAB pressed; returns what the terminal showed after the TAB.
 */
async function zshPressTab(line: string): Promise<string> {
  const folder = join(work, 'fpath');
  await mkdir(folder, { recursive: true });
  await exec('cp', [scripts.zsh!, join(folder, '_hyperexport')]);
  const driver = [
    'zmodload zsh/zpty',
    `zpty z 'TERM=dumb zsh -f -i'`,
    `zpty -w z ${shellQuote(`PROMPT="> "; fpath=(${folder} $fpath); autoload -Uz compinit; compinit -u -d ${join(work, 'zcompdump-tty')}; print READY`)}`,
    `zpty -r z out '*READY*'; zpty -r z out '*> *'`,
    `zpty -w -n z ${shellQuote(line)}$'\t'`,
    'sleep 2',
    `out=''; while zpty -r -t z chunk; do out+=$chunk; done`,
    'print -r -- "$out"',
    'zpty -d z',
  ].join('\n');
  const { stdout } = await exec('zsh', ['-f', '-c', driver], { cwd: files, timeout: 30_000 });
  return stdout.replace(/\r/g, '');
}

describe('zsh at a terminal', () => {
  it('lists subcommands with their descriptions and completes an option in place', async () => {
    const listed = await zshPressTab('hyperexport remote ');
    expect(listed).toMatch(/^get {2}-- download an export from a target URL/m);
    expect(listed).toMatch(/^ls {3}-- list the exports stored at a target URL/m);
    expect(listed).toMatch(/^rm {3}-- delete an export/m);
    expect(await zshPressTab('hyperexport export --form')).toContain('hyperexport export --format ');
    // ova and ovf: zsh inserts what they share.
    expect(await zshPressTab('hyperexport export --format ')).toContain('hyperexport export --format ov');
  });
});

describe('fish', () => {
  it('completes commands with descriptions, options, fixed values, files and folders', async () => {
    expect(await fishComplete('hyperexport exp')).toEqual(['export']);
    expect(await fishComplete('hyperexport remote ')).toEqual(['get', 'ls', 'rm']);
    expect(await fishComplete('hyperexport export --form')).toEqual(['--format']);
    expect(await fishComplete('hyperexport export --format ')).toEqual(['ova', 'ovf']);
    expect(await fishComplete('hyperexport export -o ')).toEqual(['exports/']);
    expect(await fishComplete('hyperexport restore ')).toEqual(['exports/', 'web01.ova']);
    expect(await fishComplete('hyperexport help rem')).toEqual(['remote']);
  });
});
