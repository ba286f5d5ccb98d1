// `hyperexport restore`: turns an export written with transforms (compressed, encrypted) back into
// a plain OVF folder or OVA that any OVF tool imports. Everything streams; every input file is
// checked against the export's manifest as it is read, the output is written into a hidden
// staging place and checked against its own manifest before it is renamed into view, so a wrong
// key, a damaged file or a cancelled run never leaves something that looks restored.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { ConfigError, ExportError } from '../errors.ts';
import { createExclusiveWriteStream, temporaryPathBeside } from '../fs/exclusive-file.ts';
import { removeOnExit } from '../fs/remove-on-exit.ts';
import type { ExportRecord, FileDigest, RestoreBindings, RestoreKeys, ReverseStage } from '../model.ts';
import { EXPORT_RECORD_SUFFIX } from '../model.ts';
import { rewriteFileReferences } from '../ovf/file-references.ts';
import type { FileReferenceChange } from '../ovf/file-references.ts';
import { formatManifest, parseManifest } from '../ovf/manifest.ts';
import type { ManifestEntry } from '../ovf/manifest.ts';
import { ManifestCheck } from '../ovf/manifest-check.ts';
import { indexOva, openOvaMember } from '../ovf/ova-index.ts';
import { parseOvf } from '../ovf/ovf-parse.ts';
import { unsafeFileNameReason } from '../ovf/safe-name.ts';
import { DigestMeter } from '../stream/digest-meter.ts';
import { ExportBindings } from './file-bindings.ts';
import { parseExportRecord } from '../storage/export-records.ts';
import { planReversal } from './reversal.ts';
import { refuseStagesNotUndone, refuseSuffixesNotUndone } from './undone-stages.ts';
import type { StageDeclaringPlugin } from './undone-stages.ts';

export interface RestoreOptions {
  readonly stages: readonly ReverseStage[];
  readonly keys: RestoreKeys;
  readonly signal: AbortSignal;
  /** Replace an existing plain export at the destination. */
  readonly overwrite?: boolean | undefined;
  /** Bytes read so far from the input file `name`. */
  readonly onProgress?: ((name: string, bytes: number, total: number | undefined) => void) | undefined;
  /** Something the user should know that does not stop the restore. */
  readonly onWarning?: ((message: string) => void) | undefined;
  /**
   * The loaded plugins with their declared reverse stages: when a stage is not undone, they name
   * the plugin to install for an export record without `stagePlugins` (or with no record).
   */
  readonly plugins?: readonly StageDeclaringPlugin[] | undefined;
}

export interface RestoredExport {
  readonly format: 'ova' | 'ovf';
  /** The restored OVA file or OVF folder. */
  readonly path: string;
  readonly files: readonly FileDigest[];
}

/** Restores the export at `input` (an OVF folder, a transformed OVA, or an export record) into `outputDirectory`. */
export async function restoreExport(input: string, outputDirectory: string, options: RestoreOptions): Promise<RestoredExport> {
  const source = await locateExport(resolve(input), options.stages, options.plugins ?? []);
  // Before anything is written: a stage left in place would give transformed files under plain names.
  await refuseTransformsNotUndone(source, options.stages, options.plugins ?? []);
  await makeOutputDirectory(outputDirectory);
  const bindings = new ExportBindings({ exportId: source.exportId });
  return source.format === 'ova'
    ? restoreOva(source.path, resolve(outputDirectory), options, bindings)
    : restoreOvfFolder(source.path, resolve(outputDirectory), options, bindings);
}

/** Undoes the transforms of one file (`hyperexport decrypt`): no package, no manifest. */
export async function restoreFile(input: string, output: string | undefined, options: RestoreOptions): Promise<{ path: string; digest: FileDigest }> {
  const reversal = planReversal(basename(input), options.stages);
  if (reversal.steps.length === 0) {
    throw new ConfigError(`${input} does not end in a suffix that a transform wrote (${options.stages.map((stage) => stage.suffix).join(', ')})`, {
      hint: 'give the file as it was stored, e.g. disk1.vmdk.zst.hxe',
    });
  }
  const target = resolve(output ?? join(dirname(input), reversal.plainName));
  await refuseExisting(target, options.overwrite);
  const staged = temporaryPathBeside(target, 'restore-partial');
  // Even a second Ctrl-C (process.exit, no `finally`) leaves no partial file behind.
  const keepStaged = removeOnExit(staged);
  try {
    const bindings = new ExportBindings({ onRenamed: (message) => options.onWarning?.(message) });
    const { digest } = await reverseInto(input, basename(input), reversal.steps, staged, reversal.plainName, options, bindings);
    await rename(staged, target);
    return { path: target, digest };
  } catch (error) {
    await rm(staged, { force: true });
    throw error;
  } finally {
    keepStaged();
  }
}

interface LocatedExport {
  readonly format: 'ova' | 'ovf';
  readonly path: string;
  /** The job id of the export, when the restore starts from its record. */
  readonly exportId?: string | undefined;
  /** The transform stages the export was written with, when its record is known. */
  readonly stagesApplied?: readonly string[] | undefined;
  /** The plugin that added each applied stage, when the record names them. */
  readonly stagePlugins?: Readonly<Record<string, string>> | undefined;
}

async function locateExport(input: string, stages: readonly ReverseStage[], plugins: readonly StageDeclaringPlugin[]): Promise<LocatedExport> {
  const info = await stat(input).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(`cannot read ${input}: ${error.code ?? error.message}`, {
      hint: 'give an OVF folder, an OVA (also compressed or encrypted), or an export record NAME.FORMAT.hyperexport.json',
    });
  });
  if (info.isDirectory()) {
    const record = await recordBeside(`${input}.ovf${EXPORT_RECORD_SUFFIX}`, (found) => found.format === 'ovf' && found.baseName === basename(input));
    return { format: 'ovf', path: input, stagesApplied: record?.stages, stagePlugins: record?.stagePlugins };
  }
  if (input.endsWith(EXPORT_RECORD_SUFFIX)) {
    let record: ExportRecord;
    try {
      record = parseExportRecord(await readFile(input, 'utf8'), input);
    } catch (error) {
      // The user named a file the tool cannot use: a usage error (exit 2), not a failed export.
      throw new ConfigError((error as Error).message, { hint: 'give the export itself (its OVF folder or OVA) instead' });
    }
    const base = dirname(input);
    const exportId = typeof record.jobId === 'string' ? record.jobId : undefined;
    if (record.format === 'ovf')
      return { format: 'ovf', path: join(base, record.baseName), exportId, stagesApplied: record.stages, stagePlugins: record.stagePlugins };
    const packageFile = record.files.find((file) => file.kind === 'package');
    if (!packageFile || unsafeFileNameReason(packageFile.path) !== undefined) throw new ConfigError(`${input} lists no package file`);
    return { format: 'ova', path: join(base, packageFile.path), exportId, stagesApplied: record.stages, stagePlugins: record.stagePlugins };
  }
  // NAME.ova.zst.hxe has its record beside it as NAME.ova.hyperexport.json.
  const packageName = /^(.+\.ova)(?:\..*)?$/i.exec(input)?.[1];
  const record =
    packageName === undefined
      ? undefined
      : await recordBeside(
          `${packageName}${EXPORT_RECORD_SUFFIX}`,
          (found) => found.format === 'ova' && found.files.some((file) => file.kind === 'package' && file.path === basename(input)),
        );
  if (record || planReversal(basename(input), stages).plainName.endsWith('.ova'))
    return { format: 'ova', path: input, stagesApplied: record?.stages, stagePlugins: record?.stagePlugins };
  refuseSuffixesNotUndone(basename(input), stages, input, plugins);
  throw new ConfigError(`${input} is not an export HyperExport can restore`, {
    hint: 'give an OVF folder, an .ova (also .ova.zst, .ova.gz, .ova.hxe, .ova.gpg ...) or its NAME.FORMAT.hyperexport.json record; for a single file use `hyperexport decrypt`',
  });
}

/** The export record at `path` when there is one and it describes the export being restored; otherwise undefined. */
async function recordBeside(path: string, describesInput: (record: ExportRecord) => boolean): Promise<ExportRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const record = parseExportRecord(text, path);
    return describesInput(record) ? record : undefined;
  } catch {
    // Not a record of ours: the file names still show HyperExport's own stages.
    return undefined;
  }
}

/** Refuses an export that was written with a stage no installed reverse stage undoes. */
async function refuseTransformsNotUndone(source: LocatedExport, stages: readonly ReverseStage[], plugins: readonly StageDeclaringPlugin[]): Promise<void> {
  if (source.stagesApplied) refuseStagesNotUndone(source.stagesApplied, stages, source.path, source.stagePlugins, plugins);
  if (source.format === 'ova') {
    refuseSuffixesNotUndone(basename(source.path), stages, source.path, plugins);
    return;
  }
  const entries = await readdir(source.path, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isFile()) refuseSuffixesNotUndone(entry.name, stages, join(source.path, entry.name), plugins);
}

async function restoreOva(input: string, outputDirectory: string, options: RestoreOptions, bindings: RestoreBindings): Promise<RestoredExport> {
  const reversal = planReversal(basename(input), options.stages);
  const target = join(outputDirectory, reversal.plainName);
  await refuseExisting(target, options.overwrite);
  const staged = temporaryPathBeside(target, 'restore-partial');
  const keepStaged = removeOnExit(staged);
  try {
    await reverseInto(input, basename(input), reversal.steps, staged, reversal.plainName, options, bindings);
    const files = await verifyOva(staged, reversal.plainName, options.signal);
    await rename(staged, target);
    return { format: 'ova', path: target, files };
  } catch (error) {
    await rm(staged, { force: true });
    throw error;
  } finally {
    keepStaged();
  }
}

async function restoreOvfFolder(input: string, outputDirectory: string, options: RestoreOptions, bindings: RestoreBindings): Promise<RestoredExport> {
  const names = (await readdir(input, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
  const manifestName = only(
    names.filter((name) => name.endsWith('.mf')),
    input,
    'manifest (.mf)',
  );
  const manifest = readManifest(await readFile(join(input, manifestName), 'utf8'), join(input, manifestName));
  const descriptorStored = only(
    names.filter((name) => planReversal(name, options.stages).plainName.endsWith('.ovf')),
    input,
    'OVF descriptor (.ovf)',
  );
  const descriptorPlain = planReversal(descriptorStored, options.stages).plainName;
  const baseName = descriptorPlain.slice(0, -'.ovf'.length);
  const target = join(outputDirectory, baseName);
  await refuseExisting(target, options.overwrite);
  // Created here (mkdir fails on anything at the name), so no one else can have planted links in it.
  const staged = temporaryPathBeside(target, 'restore-partial');
  await mkdir(staged);
  const keepStaged = removeOnExit(staged);
  try {
    const restore = async (storedName: string, steps: readonly ReverseStage[], plainName: string) => {
      // Checked as it is read, before any stage sees the end of it.
      const check = manifestCheck(manifest, storedName, storedName);
      const { digest } = await reverseInto(join(input, storedName), storedName, steps, join(staged, plainName), plainName, options, bindings, check);
      return digest;
    };
    const descriptorSteps = planReversal(descriptorStored, options.stages).steps;
    await restore(descriptorStored, descriptorSteps, descriptorPlain);
    const descriptorText = await readFile(join(staged, descriptorPlain), 'utf8');
    const changes = new Map<string, FileReferenceChange>();
    const disks: FileDigest[] = [];
    for (const reference of parseOvf(descriptorText).files) {
      if (!names.includes(reference.href))
        throw new ExportError(`${input}: ${reference.href}, which the descriptor references, is missing`, {
          code: 'RESTORE',
          hint: 'the export is incomplete; restore another copy',
        });
      let { steps, plainName } = planReversal(reference.href, options.stages);
      // An OVF tool's own compression (ovf:compression="gzip" on a file that kept its name) is undone too.
      if (reference.compression !== undefined && !steps.some((step) => step.ovfCompression === reference.compression)) {
        const undo = options.stages.find((stage) => stage.ovfCompression === reference.compression);
        if (!undo)
          throw new ConfigError(`${reference.href} uses ovf:compression="${reference.compression}", which no installed plugin undoes`, {
            hint: 'install @hyperexport/compress (gzip)',
          });
        steps = [...steps, undo];
      }
      const digest = await restore(reference.href, steps, plainName);
      disks.push(digest);
      changes.set(reference.href, { href: plainName, size: digest.size });
    }
    const plainDescriptor = Buffer.from(rewriteFileReferences(descriptorText, changes));
    await rm(join(staged, descriptorPlain));
    await writeBuffer(join(staged, descriptorPlain), plainDescriptor);
    const descriptorDigest: FileDigest = {
      name: descriptorPlain,
      size: plainDescriptor.length,
      sha256: createHash('sha256').update(plainDescriptor).digest('hex'),
    };
    const files = [descriptorDigest, ...disks];
    await writeBuffer(join(staged, `${baseName}.mf`), Buffer.from(formatManifest(files)));
    await verifyFolder(staged, `${baseName}.mf`, options.signal);
    if (options.overwrite) await rm(target, { recursive: true, force: true });
    await rename(staged, target);
    return { format: 'ovf', path: target, files };
  } catch (error) {
    await rm(staged, { recursive: true, force: true });
    throw error;
  } finally {
    keepStaged();
  }
}

/**
 * Streams `inputPath` through `check` (the input against its manifest entry) and `steps` into
 * `outputPath`. Returns the digest of the output.
 */
async function reverseInto(
  inputPath: string,
  storedName: string,
  steps: readonly ReverseStage[],
  outputPath: string,
  plainName: string,
  options: RestoreOptions,
  bindings: RestoreBindings,
  check?: ManifestCheck,
): Promise<{ digest: FileDigest }> {
  const total = (await stat(inputPath)).size;
  const inputMeter = new DigestMeter({ onProgress: (bytes) => options.onProgress?.(storedName, bytes, total), hash: false });
  const outputMeter = new DigestMeter();
  const transforms = await Promise.all(steps.map((step) => step.create(storedName, options.keys, options.signal, bindings)));
  await (pipeline as (...streams: unknown[]) => Promise<void>)(
    createReadStream(inputPath, { highWaterMark: 1 << 20 }),
    inputMeter,
    ...(check ? [check] : []),
    ...transforms,
    outputMeter,
    createExclusiveWriteStream(outputPath, { flush: true }),
    { signal: options.signal },
  );
  return { digest: { name: plainName, size: outputMeter.bytes, sha256: outputMeter.sha256 } };
}

function readManifest(text: string, where: string): Map<string, ManifestEntry> {
  try {
    return parseManifest(text);
  } catch (error) {
    throw new ExportError(`${where}: ${(error as Error).message}`, {
      code: 'RESTORE',
      hint: 'the manifest is damaged or was written by a tool HyperExport cannot check; restore another copy',
    });
  }
}

/** A check of the file `name` against its entry in `manifest` (SHA-1, SHA-256 or SHA-512), as it streams. */
function manifestCheck(manifest: ReadonlyMap<string, ManifestEntry>, name: string, what: string): ManifestCheck {
  const entry = manifest.get(name);
  if (!entry)
    throw new ExportError(`${what} is not listed in the export's manifest`, {
      code: 'RESTORE',
      hint: 'the manifest does not belong to these files; restore another copy',
    });
  return new ManifestCheck(
    entry,
    (actual) =>
      new ExportError(
        `${what} does not match its digest in the export's manifest: its ${entry.algorithm} is ${actual}, the manifest says ${entry.hex}; the file is damaged`,
        { code: 'RESTORE', hint: 'restore another copy of the export' },
      ),
  );
}

/** Reads `input` to its end through `check`; returns its size and SHA-256. */
async function readChecked(input: NodeJS.ReadableStream, check: ManifestCheck, signal: AbortSignal): Promise<{ size: number; sha256: string }> {
  const meter = new DigestMeter();
  await pipeline(
    input,
    check,
    meter,
    async function* drain(chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) void chunk;
    },
    { signal },
  );
  return { size: meter.bytes, sha256: meter.sha256 };
}

/** Every member of the restored OVA checked against the OVA's own manifest. */
async function verifyOva(path: string, name: string, signal: AbortSignal): Promise<FileDigest[]> {
  const members = await indexOva(path).catch((error: Error) => {
    throw new ExportError(`the restored ${name} is not a valid OVA: ${error.message}`, {
      code: 'RESTORE',
      hint: 'the input was not an OVA before it was transformed',
    });
  });
  const manifestMember = members.find((member) => member.name.endsWith('.mf'));
  if (!manifestMember) throw new ExportError(`the restored ${name} has no manifest to verify it against`, { code: 'RESTORE' });
  const manifest = readManifest((await buffer(openOvaMember(path, manifestMember))).toString('utf8'), `the restored ${name}: ${manifestMember.name}`);
  // An OVA cut at a member boundary is still a valid tar: every file the manifest lists must be there.
  const missing = [...manifest.keys()].filter((listed) => !members.some((member) => member.name === listed));
  if (missing.length > 0) {
    throw new ExportError(`the restored ${name} lacks ${missing.join(', ')}, which its manifest lists: the export is incomplete`, {
      code: 'RESTORE',
      hint: 'restore another copy of the export',
    });
  }
  const files: FileDigest[] = [];
  for (const member of members) {
    if (member === manifestMember) continue;
    const { size, sha256 } = await readChecked(openOvaMember(path, member), manifestCheck(manifest, member.name, `${name}: ${member.name}`), signal);
    files.push({ name: member.name, size, sha256 });
  }
  return files;
}

/** Reads the restored folder back and checks it against the manifest just written. */
async function verifyFolder(folder: string, manifestName: string, signal: AbortSignal): Promise<void> {
  const manifest = readManifest(await readFile(join(folder, manifestName), 'utf8'), manifestName);
  for (const [name] of manifest) await readChecked(createReadStream(join(folder, name)), manifestCheck(manifest, name, name), signal);
}

async function refuseExisting(target: string, overwrite: boolean | undefined): Promise<void> {
  if (overwrite) return;
  if (
    await stat(target).then(
      () => true,
      () => false,
    )
  ) {
    throw new ConfigError(`${target} already exists`, { hint: 'give --overwrite to replace it, or another --output' });
  }
}

function only(candidates: string[], folder: string, what: string): string {
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) throw new ConfigError(`${folder} holds no ${what}`, { hint: 'give the folder of an OVF export' });
  throw new ConfigError(`${folder} holds several files that could be the ${what}: ${candidates.join(', ')}`, { hint: 'keep one export per folder' });
}

/** Writes a new file (never through a link or over a file at the name). */
async function writeBuffer(path: string, content: Buffer): Promise<void> {
  await writeFile(path, content, { flush: true, flag: 'wx' });
}

/** The output folder, made if missing; a file in its place is a usage error, not a bare EEXIST. */
async function makeOutputDirectory(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new ConfigError(`the output ${path} is a file, not a folder`, {
        hint: 'give --output a folder (made if missing): the restored NAME.ova or NAME/ goes inside it',
        cause: error,
      });
    }
    throw new ExportError(`cannot make the output folder ${path}: ${code ?? String(error)}`, {
      code: 'OUTPUT_NOT_WRITABLE',
      hint: 'choose another --output or fix its permissions',
      cause: error,
    });
  }
}
