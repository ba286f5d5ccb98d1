// Benchmark: export from the vSphere simulator, against curl downloading the same NFC disk URLs
// in the same run. Prints one JSON object per case.
//   node bench/vsphere-export.ts            (1 GiB one disk, and two 512 MiB disks)
//   node bench/vsphere-export.ts --small    (64 MiB and 2 × 32 MiB, a quick look)
//   --rounds N                              (default 3: interleaved rounds, medians)
// Targets (issue 3): ≥ 0.9 of curl for one disk; two disks in parallel faster than one after
// the other; peak RSS under 200 MB and not growing with disk size.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportLease, VimClient, findVm, resolveDeviceUrl } from '@hyperexport/source-vsphere';
import { startVcsim } from '../test/support/vcsim.ts';
import { CLI_PATH } from '../test/support/cli.ts';
import { argValue, interleave, loadAverage, measure, ratio, summarise } from './support.ts';
import type { Measured, Summary } from './support.ts';

/** One measured run, with the size of what it wrote (the .ova's size differs from the disks'). */
type Run = Measured & { readonly outputBytes: number };

const small = process.argv.includes('--small');
const rounds = Number(argValue('--rounds') ?? 3);
const cases = small
  ? [
      { name: 'one disk', disks: [64] },
      { name: 'two disks', disks: [32, 32] },
    ]
  : [
      { name: 'one disk', disks: [1024] },
      { name: 'two disks', disks: [512, 512] },
    ];

for (const { name, disks } of cases) {
  const sim = await startVcsim(['-disk-mb', disks.join(','), '-init-delay', '0']);
  const work = await mkdtemp(join(tmpdir(), 'hyperexport-bench-'));
  try {
    const vm = sim.vms.find((candidate) => candidate.powerState === 'poweredOff')!;
    const bytes = vm.disks.reduce((sum, disk) => sum + disk.size, 0);

    const env = { ...process.env, ...sim.env };
    // Reference: curl fetches every disk URL of one export lease into files, all at once (the
    // lease is opened before and completed after the measured download).
    const curl = async (): Promise<Run> => {
      const client = await VimClient.connect({ url: new URL(sim.url), username: sim.username, password: sim.password, insecure: true });
      try {
        const found = await findVm(client, vm.path, undefined);
        const lease = await ExportLease.open(client, found.ref, undefined);
        const info = await lease.waitReady(AbortSignal.timeout(60_000));
        lease.startKeepAlive(() => undefined);
        const urls = info.devices.filter((device) => device.disk).map((device) => resolveDeviceUrl(device.url, client.url).href);
        const curlArgs = ['-sS', '-k', '--fail', '-H', `Cookie: ${client.cookie}`, '--parallel', '--parallel-max', '8'];
        const folder = await mkdtemp(join(work, 'curl-'));
        urls.forEach((url, index) => curlArgs.push('-o', join(folder, `disk-${index}.vmdk`), url));
        const run = await measure('curl', curlArgs);
        if (run.code !== 0) throw new Error(`curl failed: ${run.stderr}`);
        await lease.complete();
        await rm(folder, { recursive: true, force: true });
        return { ...run, outputBytes: bytes };
      } finally {
        await client.close();
      }
    };

    // Like for like with curl, which only writes to the page cache: no fsync, no read-back
    // verification, no post-export checks. The default runs below keep all three.
    const bareConfig = join(work, 'bare.config.mjs');
    await writeFile(
      bareConfig,
      [
        `import storeLocal from ${JSON.stringify(new URL('../plugins/store-local/dist/index.js', import.meta.url).pathname)};`,
        `import validate from ${JSON.stringify(new URL('../plugins/validate/dist/index.js', import.meta.url).pathname)};`,
        'export default { plugins: [storeLocal({ fsync: false, verify: false }), validate({ post: false })] };',
      ].join('\n'),
    );
    let runNumber = 0;
    const runExport = async (format: 'ovf' | 'ova', extra: string[]): Promise<Run> => {
      const output = join(work, `export-${runNumber++}`);
      const run = await measure(process.execPath, [CLI_PATH, 'export', '--vm', vm.path, '--format', format, '--output', output, '--quiet', ...extra], env);
      if (run.code !== 0) throw new Error(`export (${format} ${extra.join(' ')}) failed: ${run.stderr}`);
      const outputBytes = format === 'ova' ? (await stat(join(output, `${vm.path.split('/').pop()}.ova`))).size : bytes;
      await rm(output, { recursive: true, force: true });
      return { ...run, outputBytes };
    };
    // Interleaved rounds: the cases in turn, the order reversed every other round (so ours and
    // curl alternate going first); medians.
    const cases: Record<string, () => Promise<Run>> = {
      curl,
      bare: () => runExport('ovf', ['--parallel', '4', '--config', bareConfig]),
      parallel: () => runExport('ovf', ['--parallel', '4']),
      ...(disks.length > 1 ? { serial: () => runExport('ovf', ['--parallel', '1']) } : {}),
      ova: () => runExport('ova', []),
    };
    const runs = await interleave(cases, rounds);
    const curlFigures = summarise(runs['curl']!, bytes);
    const versusCurl = (figures: Summary) => ({ ...figures, ratioToCurl: ratio(curlFigures.seconds, figures.seconds) });
    const parallel = summarise(runs['parallel']!, bytes);
    const serial = runs['serial'] ? summarise(runs['serial'], bytes) : undefined;

    console.log(
      JSON.stringify({
        benchmark: 'vsphere-export',
        case: name,
        disksMiB: disks,
        bytes,
        rounds,
        curl: curlFigures,
        ovfWithoutDurability: versusCurl(summarise(runs['bare']!, bytes)),
        ovf: versusCurl(parallel),
        ...(serial ? { ovfOneDiskAtATime: { ...serial, parallelSpeedup: ratio(serial.seconds, parallel.seconds) } } : {}),
        ova: versusCurl(summarise(runs['ova']!, runs['ova']![0]!.outputBytes)),
        loadAverage: loadAverage(),
        note: "medians of interleaved rounds (peakRssMB: the highest of the rounds, from each process's rusage); hyperexport times include start-up, login, lease and CreateDescriptor; ovf and ova also fsync, read every file back and run the post-export checks; curl only downloads to the page cache; ova MB/s counts the .ova's bytes",
      }),
    );
  } finally {
    await sim.stop();
    await rm(work, { recursive: true, force: true });
  }
}
