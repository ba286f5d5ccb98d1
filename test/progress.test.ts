// What a user sees while an export or a restore runs, through the built CLI: bars under a
// terminal (util-linux `script` gives the CLI a pseudo-terminal), periodic lines without one.
// Exports from the vSphere simulator (streams of unknown length: estimated totals) and from a
// local VM folder (exact sizes).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import { makeVmFolder } from './support/make-vm-folder.ts';
import type { MadeVm } from './support/make-vm-folder.ts';
import { hasScript, replayTerminal, runCliInTerminal } from './support/terminal.ts';
import { useSimulatorCli } from './support/simulator-cli.ts';

const MiB = 1024 * 1024;
// Without colours, the escapes left are the bars' cursor moves.
const ANSI = /\u001b\[[?\d;]*[A-Za-z]|\u001b[78]/g;
const BAR_GLYPHS = /[\u2588\u2591]/;

const harness = useSimulatorCli(['-disk-mb', '32,16'], 'hyperexport-progress-');
const { outDir } = harness;
let localVm: MadeVm;

beforeAll(async () => {
  if (!(await hasScript())) throw new Error('util-linux `script` is needed for the terminal tests: apt-get install -y util-linux (bsdutils)');
  localVm = await makeVmFolder(join(harness.work, 'vms', 'app01'), 'app01', [24, 12]);
}, 120_000);

/** Bytes of a `48.8 MiB` figure. */
const bytesOf = (figure: string, unit: string) => Number(figure) * (unit === 'MiB' ? MiB : unit === 'KiB' ? 1024 : unit === 'GiB' ? 1024 * MiB : 1);

describe('under a terminal: bars', () => {
  it('a vSphere export shows an estimated total (marked ~), throughput and ETA for the VM, and the summary on its own line', async () => {
    // Paced so that the bars are drawn many times before the end.
    await harness.sim.setFaults({ rateBytesPerSec: 12 * MiB });
    try {
      const out = outDir();
      const run = await runCliInTerminal(['export', '--vm', harness.offVm.path, '--format', 'ovf', '--output', out], { cwd: harness.work, env: harness.env });
      expect(run.code, run.raw).toBe(0);
      const text = run.raw.replace(ANSI, '\n');
      // Never "of ?", never a bar at 100% of what came so far.
      expect(text).not.toMatch(/of \?/);
      const streamBytes = harness.offVm.disks.reduce((sum, disk) => sum + disk.size, 0);
      const capacity = harness.offVm.disks.reduce((sum, disk) => sum + disk.capacity, 0);
      const midway = [...text.matchAll(/DC0_H0_VM0 ~(\d+)% \| ([\d.]+) (\w+) of ~([\d.]+) (\w+) \| [\d.]+ \w+\/s \| ETA ~\d+:\d\d/g)];
      expect(midway.length, text).toBeGreaterThan(0);
      for (const [, percent, done, doneUnit, total, totalUnit] of midway) {
        expect(Number(percent)).toBeLessThan(100);
        const estimate = bytesOf(total!, totalUnit!);
        expect(estimate).toBeGreaterThanOrEqual(bytesOf(done!, doneUnit!) - MiB / 10);
        // Never above the disks' capacity, the upper bound the stream cannot pass.
        expect(estimate).toBeLessThanOrEqual(capacity * 1.01);
      }
      // The estimate closes in on the real length of the streams as they come (here about half the capacity).
      const last = midway.at(-1)!;
      expect(Math.abs(bytesOf(last[4]!, last[5]!) - streamBytes) / streamBytes).toBeLessThan(0.15);

      const screen = replayTerminal(run.raw);
      const summary = screen.findIndex((line) => line.startsWith('exported DC0_H0_VM0 in '));
      expect(summary, screen.join('\n')).toBeGreaterThan(0);
      // The summary line is only the summary: no bar drawn into it or after it.
      expect(screen[summary]).toMatch(/^exported DC0_H0_VM0 in [\d.]+ (?:s|ms) \([\d.]+ \w+\/s\)$/);
      expect(screen.slice(summary).some((line) => BAR_GLYPHS.test(line) || /\d+%/.test(line))).toBe(false);
      // Above it, the VM's bar at its exact end, then one per file.
      const vmBar = screen.find((line) => / DC0_H0_VM0 100% \| /.test(line));
      expect(vmBar, screen.join('\n')).toMatch(/ DC0_H0_VM0 100% \| ([\d.]+) MiB of \1 MiB/);
      expect(screen.some((line) => /DC0_H0_VM0-disk0\.vmdk 100% \|/.test(line))).toBe(true);
    } finally {
      await harness.sim.resetFaults();
    }
  }, 120_000);

  it("a batch shows one bar for the batch, and each VM's result and the summary table on lines of their own", async () => {
    await harness.sim.setFaults({ rateBytesPerSec: 16 * MiB });
    try {
      const out = outDir();
      const onVm = harness.onVm;
      const run = await runCliInTerminal(['export', '--vm', harness.offVm.path, '--vm', onVm.path, '--snapshot-before', '--format', 'ova', '--output', out], {
        cwd: harness.work,
        env: harness.env,
      });
      expect(run.code, run.raw).toBe(0);
      const text = run.raw.replace(ANSI, '\n');
      expect(text).toMatch(/batch \| [01] of 2 VMs done \| [\d.]+ \w+/);
      const screen = replayTerminal(run.raw);
      const results = screen.filter((line) => line.startsWith('exported '));
      expect(results.map((line) => line.replace(/ in .*/, '')).sort(), screen.join('\n')).toEqual(['exported DC0_H0_VM0', 'exported DC0_H0_VM1']);
      for (const line of results) expect(line).toMatch(/^exported DC0_H0_VM\d in [\d.]+ (?:s|ms) \([\d.]+ \w+\/s\)$/);
      const header = screen.findIndex((line) => line.startsWith('VM '));
      expect(header, screen.join('\n')).toBeGreaterThan(0);
      expect(screen.slice(header).some((line) => BAR_GLYPHS.test(line))).toBe(false);
      expect(screen.at(-1)).toBe('2 of 2 exported');
    } finally {
      await harness.sim.resetFaults();
    }
  }, 120_000);

  it('restore shows a bar per file with its real size, and the result on its own line', async () => {
    const stored = outDir();
    const exported = await runCli(['export', '--source', localVm.directory, '--format', 'ova', '--compress', 'zstd:1', '--output', stored, '--json'], {
      cwd: harness.work,
    });
    expect(exported.code, exported.stderr).toBe(0);
    const restoredDir = outDir();
    const run = await runCliInTerminal(['restore', join(stored, 'app01.ova.zst'), '--output', restoredDir], { cwd: harness.work });
    expect(run.code, run.raw).toBe(0);
    const screen = replayTerminal(run.raw);
    expect(
      screen.some((line) => /app01\.ova\.zst 100% \| ([\d.]+) MiB of \1 MiB/.test(line)),
      screen.join('\n'),
    ).toBe(true);
    const result = screen.findIndex((line) => line.startsWith('restored OVA '));
    expect(screen[result], screen.join('\n')).toMatch(/^restored OVA \S+app01\.ova \(\d+ files, manifest verified\)$/);
  }, 120_000);
});

describe('without a terminal: a line at a steady interval', () => {
  it("a vSphere export prints the VM's progress every HYPEREXPORT_PROGRESS_INTERVAL, with the estimate marked", async () => {
    await harness.sim.setFaults({ rateBytesPerSec: 12 * MiB });
    try {
      const run = await runCli(['export', '--vm', harness.offVm.path, '--format', 'ovf', '--output', outDir()], {
        cwd: harness.work,
        env: { ...harness.env, HYPEREXPORT_PROGRESS_INTERVAL: '400ms' },
      });
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stderr.split('\n').filter((line) => /^\[\d+:\d\d\] DC0_H0_VM0: /.test(line));
      expect(lines.length, run.stderr).toBeGreaterThanOrEqual(3);
      expect(
        lines.some((line) => /: [\d.]+ \w+ of ~[\d.]+ MiB \(~\d+%\), [\d.]+ \w+\/s, ETA ~\d+:\d\d/.test(line)),
        run.stderr,
      ).toBe(true);
      expect(run.stderr).toMatch(/^writing DC0_H0_VM0-disk0\.vmdk \(~[\d.]+ MiB, estimated\)$/m);
      expect(run.stdout).toMatch(/^exported DC0_H0_VM0 in /);
    } finally {
      await harness.sim.resetFaults();
    }
  }, 120_000);

  it('a local export prints exact totals, percentage and ETA at the interval', async () => {
    const run = await runCli(['export', '--source', localVm.directory, '--format', 'ovf', '--bwlimit', '16M', '--output', outDir()], {
      cwd: harness.work,
      env: { HYPEREXPORT_PROGRESS_INTERVAL: '0.3' },
    });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.split('\n').filter((line) => /^\[\d+:\d\d\] app01: /.test(line));
    expect(lines.length, run.stderr).toBeGreaterThanOrEqual(3);
    expect(
      lines.some((line) => /: [\d.]+ \w+ of [\d.]+ MiB \(\d+%\), [\d.]+ \w+\/s, ETA \d+:\d\d/.test(line)),
      run.stderr,
    ).toBe(true);
    expect(run.stderr).not.toMatch(/~/);
  }, 120_000);

  it('restore prints its progress at the interval', async () => {
    const stored = outDir();
    const exported = await runCli(['export', '--source', localVm.directory, '--format', 'ovf', '--compress', 'zstd:1', '--output', stored, '--json'], {
      cwd: harness.work,
    });
    expect(exported.code, exported.stderr).toBe(0);
    const run = await runCli(['restore', join(stored, 'app01'), '--output', outDir()], { cwd: harness.work, env: { HYPEREXPORT_PROGRESS_INTERVAL: '10ms' } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^writing app01\.vmdk\.zst \([\d.]+ MiB\)$/m);
    expect(run.stderr).toMatch(/^\[\d+:\d\d\] app01: [\d.]+ \w+ of [\d.]+ MiB \(\d+%\)/m);
    expect(run.stdout).toMatch(/^restored OVF folder /);
  }, 120_000);

  it('a malformed HYPEREXPORT_PROGRESS_INTERVAL is a usage error naming the variable', async () => {
    const run = await runCli(['export', '--source', localVm.directory, '--output', outDir()], {
      cwd: harness.work,
      env: { HYPEREXPORT_PROGRESS_INTERVAL: 'often' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('HYPEREXPORT_PROGRESS_INTERVAL=often is not an interval of at least 10 ms');
  });
});
