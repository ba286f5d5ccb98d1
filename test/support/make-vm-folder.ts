// Makes a real VMware VM folder on disk: a .vmx and streamOptimized .vmdk disks converted by
// qemu-img from generated data. Used by the integration tests and by the demo.
import { execFile } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MadeVm {
  readonly directory: string;
  readonly vmxPath: string;
  readonly name: string;
  /** The .vmdk files, in controller order. */
  readonly disks: readonly string[];
}

/**
 * Writes `sizesMiB.length` disks: each a raw image whose blocks are a mix of zeros (which the
 * streamOptimized format skips) and pseudo-random data, converted to streamOptimized VMDK.
 */
export async function makeVmFolder(directory: string, name: string, sizesMiB: readonly number[]): Promise<MadeVm> {
  await mkdir(directory, { recursive: true });
  const disks: string[] = [];
  const lines = [
    '.encoding = "UTF-8"',
    'config.version = "8"',
    'virtualHW.version = "19"',
    `displayName = "${name}"`,
    'guestOS = "ubuntu-64"',
    'numvcpus = "2"',
    'memsize = "2048"',
    'scsi0.present = "TRUE"',
    'scsi0.virtualDev = "pvscsi"',
  ];
  for (const [index, sizeMiB] of sizesMiB.entries()) {
    const raw = join(directory, `.disk${index}.raw`);
    const vmdk = `${name}${index === 0 ? '' : `_${index}`}.vmdk`;
    await writePatternedRaw(raw, sizeMiB, `${name}-${index}`);
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', raw, join(directory, vmdk)]);
    await rm(raw);
    disks.push(join(directory, vmdk));
    lines.push(`scsi0:${index}.present = "TRUE"`, `scsi0:${index}.fileName = "${vmdk}"`, `scsi0:${index}.deviceType = "scsi-hardDisk"`);
  }
  lines.push('ide1:0.present = "TRUE"', 'ide1:0.deviceType = "cdrom-raw"', 'ide1:0.fileName = "auto detect"');
  const vmxPath = join(directory, `${name}.vmx`);
  await writeFile(vmxPath, `${lines.join('\n')}\n`);
  return { directory, vmxPath, name, disks };
}

async function writePatternedRaw(path: string, sizeMiB: number, seed: string): Promise<void> {
  const out = createWriteStream(path);
  // AES-CTR over zeros: deterministic for a seed, incompressible, and fast to generate.
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const keystream = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1 << 20);
  for (let mib = 0; mib < sizeMiB; mib++) {
    // Every fourth MiB stays zero so the sparse format has holes to skip, as real disks do.
    const chunk = mib % 4 === 3 ? zeros : keystream.update(zeros);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

// `node test/support/make-vm-folder.ts DIR NAME SIZE_MIB...` for the demo and by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [directory, name, ...sizes] = process.argv.slice(2);
  if (!directory || !name || sizes.length === 0) {
    console.error('usage: node test/support/make-vm-folder.ts DIR NAME SIZE_MIB [SIZE_MIB...]');
    process.exit(2);
  }
  const made = await makeVmFolder(directory, name, sizes.map(Number));
  console.log(JSON.stringify(made));
}
