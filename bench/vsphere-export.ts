// Benchmark: export from the vSphere simulator, against curl downloading the same NFC disk URLs
// in the same run. Prints one JSON object per case.
//   node bench/vsphere-export.ts            (1 GiB one disk, and two 512 MiB disks)
//   node bench/vsphere-export.ts --small    (64 MiB and 2 × 32 MiB, a quick look)
// Targets (issue 3): ≥ 0.9 of curl for one disk; two disks in parallel faster than one after
// the other; peak RSS under 200 MB and not growing with disk size.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportLease, VimClient, findVm, resolveDeviceUrl } from '@hyperexport/source-vsphere';
import { startVcsim } from '../test/support/vcsim.ts';
import { CLI_PATH } from '../test/support/cli.ts';
import { mbPerSecond, measure, ratio } from './support.ts';

const small = process.argv.includes('--small');
const cases = small ? [{ name: 'one disk', disks: [64] }, { name: 'two disks', disks: [32, 32] }] : [{ name: 'one disk', disks: [1024] }, { name: 'two disks', disks: [512, 512] }];

for (const { name, disks } of cases) {
  const sim = await startVcsim(['-disk-mb', disks.join(','), '-init-delay', '0']);
  const work = await mkdtemp(join(tmpdir(), 'hyperexport-bench-'));
  try {
    const vm = sim.vms.find((candidate) => candidate.powerState === 'poweredOff')!;
    const bytes = vm.disks.reduce((sum, disk) => sum + disk.size, 0);

    // Reference: curl fetches every disk URL of one export lease into files, all at once.
    const client = await VimClient.connect({ url: new URL(sim.url), username: sim.username, password: sim.password, insecure: true });
    const found = await findVm(client, vm.path, undefined);
    const lease = await ExportLease.open(client, found.ref, undefined);
    const info = await lease.waitReady(AbortSignal.timeout(60_000));
    lease.startKeepAlive(() => undefined);
    const urls = info.devices.filter((device) => device.disk).map((device) => resolveDeviceUrl(device.url, client.url).href);
    const curlArgs = ['-sS', '-k', '--fail', '-H', `Cookie: ${client.cookie}`, '--parallel', '--parallel-max', '8'];
    urls.forEach((url, index) => curlArgs.push('-o', join(work, `curl-${index}.vmdk`), url));
    const curl = await measure('curl', curlArgs);
    if (curl.code !== 0) throw new Error(`curl failed: ${curl.stderr}`);
    await lease.complete();
    await client.close();

    const env = { ...process.env, ...sim.env };
    // Like for like with curl, which only writes to the page cache: no fsync, no read-back
    // verification, no post-export checks. The default runs below keep all three.
    const bareConfig = join(work, 'bare.config.mjs');
    await writeFile(bareConfig, [
      `import storeLocal from ${JSON.stringify(new URL('../plugins/store-local/dist/index.js', import.meta.url).pathname)};`,
      `import validate from ${JSON.stringify(new URL('../plugins/validate/dist/index.js', import.meta.url).pathname)};`,
      'export default { plugins: [storeLocal({ fsync: false, verify: false }), validate({ post: false })] };',
    ].join('\n'));
    const runExport = (label: string, extra: string[]) => measure(process.execPath, [CLI_PATH, 'export', '--vm', vm.path, '--format', 'ovf', '--output', join(work, label), '--quiet', ...extra], env);
    const bare = await runExport('bare', ['--parallel', '4', '--config', bareConfig]);
    if (bare.code !== 0) throw new Error(`export failed: ${bare.stderr}`);
    const parallel = await runExport('parallel', ['--parallel', '4']);
    if (parallel.code !== 0) throw new Error(`export failed: ${parallel.stderr}`);
    const serial = disks.length > 1 ? await runExport('serial', ['--parallel', '1']) : undefined;
    const ova = await measure(process.execPath, [CLI_PATH, 'export', '--vm', vm.path, '--format', 'ova', '--output', join(work, 'ova'), '--quiet'], env);
    const ovaBytes = (await stat(join(work, 'ova', `${vm.path.split('/').pop()}.ova`))).size;

    console.log(JSON.stringify({
      benchmark: 'vsphere-export',
      case: name,
      disksMiB: disks,
      bytes,
      curl: { seconds: round(curl.seconds), MBps: mbPerSecond(bytes, curl.seconds) },
      ovfWithoutDurability: { seconds: round(bare.seconds), MBps: mbPerSecond(bytes, bare.seconds), peakRssMB: bare.peakRssMB, ratioToCurl: ratio(curl.seconds, bare.seconds) },
      ovf: { seconds: round(parallel.seconds), MBps: mbPerSecond(bytes, parallel.seconds), peakRssMB: parallel.peakRssMB, ratioToCurl: ratio(curl.seconds, parallel.seconds) },
      ...(serial ? { ovfOneDiskAtATime: { seconds: round(serial.seconds), MBps: mbPerSecond(bytes, serial.seconds), peakRssMB: serial.peakRssMB, parallelSpeedup: ratio(serial.seconds, parallel.seconds) } } : {}),
      ova: { seconds: round(ova.seconds), MBps: mbPerSecond(ovaBytes, ova.seconds), peakRssMB: ova.peakRssMB, ratioToCurl: ratio(curl.seconds, ova.seconds) },
      note: 'hyperexport times include start-up, login, lease and CreateDescriptor; ovf and ova also fsync, read every file back and run the post-export checks; curl only downloads to the page cache',
    }));
  } finally {
    await sim.stop();
    await rm(work, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
