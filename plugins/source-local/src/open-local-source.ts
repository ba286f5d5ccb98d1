// Opens a VM that lives on a local disk as the source of an export: a VM folder (one .vmx and
// its VMDKs), an .ovf with its files next to it, or an .ova read in place. Nothing is copied or
// extracted here: every file is opened as a stream when the core reads it, and can be read again
// (the core hashes an OVA's files before writing them).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import {
  assertSafeFileName,
  buildOvfDescriptor,
  describeVmx,
  indexOva,
  inspectVmdk,
  ManifestCheck,
  openOvaMember,
  parseManifest,
  parseOvf,
  parseVmx,
  VMDK_FORMAT_URL,
} from '@hyperexport/core';
import type { ExportSource, FileDigest, ManifestEntry, OvaMember, ParsedOvf, SourceFile, VmDiskDescription, VmxDescription, VmxDisk } from '@hyperexport/core';

const KIND = 'source-local';
const ACCEPTED = 'expected a VM folder containing one .vmx file, an .ovf file or an .ova file';
/** Descriptors and .vmx files are kilobytes; a bigger one is the wrong file, not worth reading into memory. */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;

/** Opens `path` (a VM folder, `.ovf` or `.ova`) as an export source. */
export async function openLocalSource(path: string): Promise<ExportSource> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`source not found: ${path} (${ACCEPTED})`, { cause: error });
    throw error;
  }
  const extension = extname(path).toLowerCase();
  let source: ExportSource;
  if (info.isDirectory()) source = await openVmFolder(path);
  else if (info.isFile() && extension === '.ovf') source = await openOvfFile(path);
  else if (info.isFile() && extension === '.ova') source = await openOvaFile(path);
  else throw new Error(`unsupported source: ${path} (${ACCEPTED})`);
  // The same path with the same size and time is the same export, for the checkpoint.
  return { ...source, identity: `local:${resolve(path)}:${info.size}:${info.mtimeMs}` };
}

// ---------------------------------------------------------------------------------------------
// A VM folder: the .vmx describes the VM; its disks must be self-contained sparse VMDKs.

interface LocalDisk {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly vmxDisk: VmxDisk;
  readonly format: string;
  readonly capacityBytes: number;
}

async function openVmFolder(folder: string): Promise<ExportSource> {
  const vmxNames = (await readdir(folder)).filter((name) => name.toLowerCase().endsWith('.vmx'));
  if (vmxNames.length === 0) throw new Error(`no .vmx file in ${folder}: a VM folder source must contain the VM's .vmx (or pass an .ovf or .ova file)`);
  if (vmxNames.length > 1) throw new Error(`${folder} contains several .vmx files (${vmxNames.join(', ')}): pass a folder that holds a single VM`);
  const vmxPath = join(folder, vmxNames[0]!);

  let vm: VmxDescription;
  try {
    vm = describeVmx(parseVmx((await readSmallFile(vmxPath)).toString('utf8')), basename(vmxPath, extname(vmxPath)));
  } catch (error) {
    throw new Error(`${vmxPath}: ${(error as Error).message}`, { cause: error });
  }

  if (vm.disks.length === 0) {
    throw new Error(`${vmxPath} names no disk: expected entries such as scsi0:0.fileName = "disk.vmdk" with scsi0.present and scsi0:0.present = "TRUE"`);
  }
  const disks: LocalDisk[] = [];
  for (const vmxDisk of vm.disks) disks.push(await inspectFolderDisk(folder, vmxPath, vmxDisk, disks));

  const tracker = new StreamTracker();
  return {
    kind: KIND,
    vmName: vm.name,
    files: disks.map((disk) => localFile(disk.name, disk.path, disk.size, tracker)),
    async descriptor(digests) {
      const byName = digestsByName(digests);
      const described: VmDiskDescription[] = disks.map((disk) => ({
        fileName: disk.name,
        fileSize: byName.get(disk.name)?.size ?? disk.size,
        capacityBytes: disk.capacityBytes,
        format: disk.format,
        bus: disk.vmxDisk.bus,
      }));
      return buildOvfDescriptor({ ...vm, disks: described });
    },
    complete: async () => tracker.closeAll(),
    abort: async () => tracker.closeAll(),
  };
}

async function inspectFolderDisk(folder: string, vmxPath: string, vmxDisk: VmxDisk, earlier: readonly LocalDisk[]): Promise<LocalDisk> {
  // The .vmx usually names a file next to it, sometimes a path relative to it or an absolute one.
  const path = resolve(folder, vmxDisk.fileName);
  const name = basename(path);
  assertSafeFileName(name, `disk ${JSON.stringify(vmxDisk.fileName)} of ${vmxPath}`);
  if (earlier.some((disk) => disk.name === name)) {
    throw new Error(`${vmxPath}: two disks are named ${name}; an export holds its files side by side, so their names must differ`);
  }
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT')
      throw new Error(`${vmxPath} refers to disk ${JSON.stringify(vmxDisk.fileName)}, which does not exist (${path})`, { cause: error });
    throw error;
  });
  if (!info.isFile()) throw new Error(`disk ${path} of ${vmxPath} is not a regular file`);

  const vmdk = await inspectVmdk(path);
  if (vmdk.kind === 'descriptor') {
    throw new Error(
      `disk ${path} is a VMDK descriptor (createType "${vmdk.createType ?? 'unknown'}") whose data lives in separate extent files; ` +
        `an export needs a self-contained sparse VMDK. Convert it, then point the .vmx at the new file: ` +
        `qemu-img convert -O vmdk -o subformat=streamOptimized ${path} ${join(dirname(path), `${basename(name, extname(name))}-stream.vmdk`)}`,
    );
  }
  return {
    name,
    path,
    size: info.size,
    vmxDisk,
    format: VMDK_FORMAT_URL[vmdk.kind],
    capacityBytes: vmdk.capacityBytes ?? 0,
  };
}

// ---------------------------------------------------------------------------------------------
// An .ovf with its files next to it: exported as is, descriptor unchanged.

async function openOvfFile(ovfPath: string): Promise<ExportSource> {
  const ovfBytes = await readSmallFile(ovfPath);
  const ovf = parseOvfAt(ovfBytes, ovfPath);
  const folder = dirname(ovfPath);
  const tracker = new StreamTracker();

  // The input's manifest, if any, is checked but not exported: the core writes a new one.
  const manifestPath = join(folder, `${basename(ovfPath, extname(ovfPath))}.mf`);
  const manifestBytes = await readSmallFile(manifestPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  const manifest = manifestBytes === undefined ? undefined : parseManifestAt(manifestBytes, manifestPath);
  if (manifest) checkDescriptorDigest(manifest, basename(ovfPath), ovfBytes, manifestPath);

  const files: SourceFile[] = [];
  for (const ref of checkedReferences(ovf, ovfPath)) {
    const path = join(folder, ref.href);
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new Error(`${ovfPath} references ${ref.href}, which is not next to it (${path})`, { cause: error });
      throw error;
    });
    if (!info.isFile()) throw new Error(`${path}, referenced by ${ovfPath}, is not a regular file`);
    checkDeclaredSize(ref.href, ref.size, info.size, ovfPath);
    files.push(localFile(ref.href, path, info.size, tracker, manifestCheckOf(manifest, ref.href, manifestPath)));
  }

  return unchangedDescriptorSource(ovf, ovfBytes, files, ovfPath, manifest, manifestPath, tracker);
}

// ---------------------------------------------------------------------------------------------
// An .ova: its members are read in place as byte ranges; the .ovf member is kept unchanged.

async function openOvaFile(ovaPath: string): Promise<ExportSource> {
  const members = await indexOva(ovaPath);
  const first = members[0]!;
  if (!first.name.toLowerCase().endsWith('.ovf')) {
    throw new Error(`${ovaPath}: the first member is ${JSON.stringify(first.name)}, but an OVA must start with its .ovf descriptor`);
  }
  const ovfBytes = await readMember(ovaPath, first);
  const where = `${ovaPath} (${first.name})`;
  const ovf = parseOvfAt(ovfBytes, where);
  const byName = new Map(members.map((member) => [member.name, member]));
  const tracker = new StreamTracker();
  // As for an .ovf: a manifest member is verified, not exported (a .cert is dropped too, since
  // its signature covers the old manifest).
  const manifestMember = members.find((member) => member.name.toLowerCase().endsWith('.mf'));
  const manifestWhere = manifestMember ? `${ovaPath} (${manifestMember.name})` : ovaPath;
  const manifest = manifestMember ? parseManifestAt(await readMember(ovaPath, manifestMember), manifestWhere) : undefined;
  if (manifest) checkDescriptorDigest(manifest, first.name, ovfBytes, manifestWhere);

  const files: SourceFile[] = checkedReferences(ovf, where).map((ref) => {
    const member = byName.get(ref.href);
    if (!member) throw new Error(`${ovaPath}: the OVF references ${ref.href}, which the OVA does not contain`);
    checkDeclaredSize(ref.href, ref.size, member.size, where);
    return {
      name: ref.href,
      size: member.size,
      rereadable: true,
      open: async (signal) => tracker.track(checked(openOvaMember(ovaPath, member, { signal }), manifestCheckOf(manifest, ref.href, manifestWhere))),
    };
  });

  return unchangedDescriptorSource(ovf, ovfBytes, files, where, manifest, manifestWhere, tracker);
}

// ---------------------------------------------------------------------------------------------
// Shared by the .ovf and .ova sources.

function unchangedDescriptorSource(
  ovf: ParsedOvf,
  ovfBytes: Buffer,
  files: SourceFile[],
  where: string,
  manifest: Map<string, ManifestEntry> | undefined,
  manifestWhere: string,
  tracker: StreamTracker,
): ExportSource {
  const declared = new Map(ovf.files.map((ref) => [ref.href, ref.size]));
  return {
    kind: KIND,
    vmName: ovf.vmName,
    files,
    needsRawDigests: manifest !== undefined,
    async descriptor(digests) {
      for (const digest of digests) {
        // The descriptor goes out unchanged, so it must still be true of the bytes that were read.
        checkDeclaredSize(digest.name, declared.get(digest.name), digest.size, where);
        const entry = manifest?.get(digest.name);
        // SHA-256 entries are compared with the digests the core computed; SHA-1 and SHA-512
        // entries (older tools) were checked as the file was read (manifestCheckOf).
        if (entry?.algorithm === 'SHA256' && entry.hex !== digest.sha256.toLowerCase()) {
          throw new Error(
            `${digest.name} does not match the manifest ${manifestWhere}: SHA-256 is ${digest.sha256}, the manifest says ${entry.hex}; the source is corrupt or was changed`,
          );
        }
      }
      // Byte for byte the original text, so that re-exporting an OVF/OVA reproduces it.
      return ovfBytes.toString('utf8');
    },
    complete: async () => tracker.closeAll(),
    abort: async () => tracker.closeAll(),
  };
}

/** The References, with every href checked to be a plain, unique file name. */
function checkedReferences(ovf: ParsedOvf, where: string): ParsedOvf['files'] {
  const seen = new Set<string>();
  for (const ref of ovf.files) {
    assertSafeFileName(ref.href, `file reference in ${where}`);
    if (seen.has(ref.href)) throw new Error(`${where} references ${ref.href} twice`);
    seen.add(ref.href);
  }
  return ovf.files;
}

function checkDeclaredSize(name: string, declared: number | undefined, actual: number, where: string): void {
  if (declared !== undefined && declared !== actual) {
    throw new Error(`${name} is ${actual} bytes but ${where} declares ovf:size="${declared}"; the file is incomplete or does not belong to this OVF`);
  }
}

function checkDescriptorDigest(manifest: Map<string, ManifestEntry>, ovfName: string, ovfBytes: Buffer, manifestWhere: string): void {
  const entry = manifest.get(ovfName);
  if (!entry) return;
  const actual = createHash(entry.algorithm.toLowerCase()).update(ovfBytes).digest('hex');
  if (actual !== entry.hex) {
    throw new Error(
      `${ovfName} does not match the manifest ${manifestWhere}: ${entry.algorithm} is ${actual}, the manifest says ${entry.hex}; the descriptor was edited or is corrupt`,
    );
  }
}

function parseOvfAt(bytes: Buffer, where: string): ParsedOvf {
  try {
    return parseOvf(bytes.toString('utf8'));
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
  }
}

function parseManifestAt(bytes: Buffer, where: string): Map<string, ManifestEntry> {
  try {
    return parseManifest(bytes.toString('utf8'));
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * For a file the manifest lists with SHA-1 or SHA-512: a check of its bytes as they are read,
 * which fails the read at its end on a mismatch. (SHA-256 entries are compared in `descriptor`
 * with the digest the core computes anyway.)
 */
function manifestCheckOf(manifest: ReadonlyMap<string, ManifestEntry> | undefined, name: string, manifestWhere: string): (() => ManifestCheck) | undefined {
  const entry = manifest?.get(name);
  if (!entry || entry.algorithm === 'SHA256') return undefined;
  return () =>
    new ManifestCheck(
      entry,
      (actual) =>
        new Error(
          `${name} does not match the manifest ${manifestWhere}: ${entry.algorithm} is ${actual}, the manifest says ${entry.hex}; the source is corrupt or was changed`,
        ),
    );
}

/** `input` read through a fresh check, when there is one; a failure of either ends the stream that is handed out. */
function checked(input: Readable, check: (() => ManifestCheck) | undefined): Readable {
  if (!check) return input;
  const checking = check();
  pipeline(input, checking).catch(() => undefined); // errors reach the reader: pipeline destroys `checking` with them
  return checking;
}

function digestsByName(digests: readonly FileDigest[]): Map<string, FileDigest> {
  return new Map(digests.map((digest) => [digest.name, digest]));
}

function localFile(name: string, path: string, size: number, tracker: StreamTracker, check?: () => ManifestCheck): SourceFile {
  return {
    name,
    size,
    rereadable: true,
    // 1 MiB reads: the transforms downstream (AES, zstd) run twice as fast on them as on 64 KiB.
    open: async (signal) => tracker.track(checked(createReadStream(path, { signal, highWaterMark: 1 << 20 }), check)),
  };
}

async function readSmallFile(path: string): Promise<Buffer> {
  const { size } = await stat(path);
  if (size > MAX_TEXT_BYTES) throw new Error(`${path} is ${size} bytes; a descriptor this large is not plausible, is it the right file?`);
  return readFile(path);
}

async function readMember(ovaPath: string, member: OvaMember): Promise<Buffer> {
  if (member.size > MAX_TEXT_BYTES) throw new Error(`${ovaPath}: member ${member.name} is ${member.size} bytes; a descriptor this large is not plausible`);
  return buffer(openOvaMember(ovaPath, member));
}

/** Streams handed to the core, so that complete/abort can close any the core left open. */
class StreamTracker {
  private readonly open = new Set<Readable>();

  track(stream: Readable): Readable {
    this.open.add(stream);
    stream.once('close', () => this.open.delete(stream));
    return stream;
  }

  closeAll(): void {
    for (const stream of this.open) stream.destroy();
    this.open.clear();
  }
}
