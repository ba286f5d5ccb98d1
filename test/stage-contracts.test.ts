// Transform stage contracts through the CLI, with an outside plugin named in a config: a stage
// that says it changes bytes but sits among the pacing stages, and a stage that sees nothing in
// the chosen format, are refused as usage errors (exit 2) before anything is read or written.
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';

let work: string;
let vm: MadeVm;
let configDirectory: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hyperexport-stage-contracts-'));
  await chmod(work, 0o755);
  vm = await makeVmFolder(join(work, 'vms', 'app01'), 'app01', [1]);
  // The config names a plugin file, which resolves @hyperexport/core next to it: inside the repository.
  await mkdir(join(REPO_ROOT, '.tmp'), { recursive: true });
  configDirectory = await mkdtemp(join(REPO_ROOT, '.tmp', 'stage-contracts-'));
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(configDirectory, { recursive: true, force: true });
});

/** A config whose only extra plugin adds an xor stage at `position` that sees `artifacts`. */
async function xorConfig(name: string, position: string, artifacts: string[]): Promise<string> {
  await writeFile(
    join(configDirectory, `${name}.js`),
    `
import { Transform } from 'node:stream';
import { definePlugin, Stage } from '@hyperexport/core';
export default definePlugin({
  name: '${name}',
  version: '1.0.0',
  setup(exporter) {
    exporter.hooks.transform.tap('${name}', (plan) => {
      plan.stages.push({
        name: '${name}',
        stage: ${position},
        effect: 'changes-bytes',
        artifacts: ${JSON.stringify(artifacts)},
        create: () => new Transform({ transform: (chunk, _encoding, callback) => callback(null, Buffer.from(chunk.map((byte) => byte ^ 0x5a))) }),
      });
      return plan;
    });
  },
});
`,
  );
  const config = join(configDirectory, `${name}.config.json`);
  // The post-export checks would find the xor'ed disks damaged, which they are, as far as a VMDK reader can tell.
  await writeFile(config, JSON.stringify({ plugins: [`./${name}.js`, ['@hyperexport/validate', { post: false }]] }));
  return config;
}

/** Every string of a JSON value, depth first: what `--json` says, quotes unescaped. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(stringsOf);
}

/** Exports the VM folder with `--json`; returns the exit code, every message, and the stages that started. */
async function exportWith(config: string, format: 'ova' | 'ovf', out: string) {
  const run = await runCli(['export', '--source', vm.directory, '--format', format, '--output', out, '--json', '--config', config], { cwd: work });
  const events = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type?: string; stage?: string });
  const stages = events.filter((event) => event.type === 'stage:start').map((event) => event.stage);
  return { code: run.code, said: [run.stderr, ...events.flatMap(stringsOf)].join('\n'), stages };
}

describe('transform stage contracts', () => {
  it('refuses a byte-changing stage at a pacing position, naming it, its position and where it goes', async () => {
    const out = join(work, 'at-150');
    const { code, said, stages } = await exportWith(await xorConfig('xor-at-150', 'Stage.THROTTLE + 50', ['disk']), 'ovf', out);
    expect(code, said).toBe(2);
    expect(said).toContain(
      '[xor-at-150] transform: transform stage "xor-at-150" changes bytes but sits at position 150, among the pacing stages (below 200), which must pass every byte on unchanged',
    );
    expect(said).toContain('byte-changing stages go at 200 or later (Stage.COMPRESS 200, Stage.ENCRYPT 300)');
    expect(said).not.toMatch(/digest|SHA-256/);
    expect(stages).not.toContain('download');
    await expect(readdir(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses, before anything is read, an OVA export with a stage that only sees the disks of an OVF folder', async () => {
    const out = join(work, 'disk-only-ova');
    const { code, said, stages } = await exportWith(await xorConfig('xor-disks', 'Stage.COMPRESS', ['disk']), 'ova', out);
    expect(code, said).toBe(2);
    expect(said).toContain(
      'transform stage "xor-disks" sees only disk artifacts, and an OVA export passes only its package (.ova), with the disks inside it, through its stages: it would change nothing (added by the plugin xor-disks)',
    );
    expect(said).toContain('export with --format ovf, where it sees its artifacts');
    expect(stages).toEqual(['inspect', 'validate', 'transform']);
    await expect(readdir(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('runs the same disk stage in an OVF export, where it sees the disks', async () => {
    const out = join(work, 'disk-only-ovf');
    const { code, said, stages } = await exportWith(await xorConfig('xor-disks-ovf', 'Stage.COMPRESS', ['disk']), 'ovf', out);
    expect(code, said).toBe(0);
    expect(stages).toContain('write');
    expect((await readdir(join(out, 'app01'))).sort()).toEqual(['app01.mf', 'app01.ovf', 'app01.vmdk']);
  });
});
