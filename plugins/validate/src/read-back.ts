// The post-export read-back of the files that transform stages changed (compressed, encrypted):
// each staged copy is streamed through its stages' way back (TransformStage.reverse: the same
// decompress and decrypt streams `hyperexport restore` uses, with the job's own key) and hashed;
// it must turn back into the bytes it was made from, as the core hashed them while writing.
// Nothing is written to disk. On a failure the stored bytes are hashed once more, so the message
// says whether the file changed after it was written (storage) or a stage wrote bytes that do not
// turn back into its input (a bug in that stage).
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestMeter, digestStream, runWithConcurrency } from '@hyperexport/core';
import type { FileDigest, TransformedFile, ValidationIssue, WrittenExport } from '@hyperexport/core';
import { errorIssue, errorMessage } from './issues.ts';

export const READ_BACK_CHECK = 'read-back';

/** Files read back at once: decompressing and hashing are CPU-bound; two keep a disk and a core busy. */
const READ_BACK_PARALLELISM = 2;

const EXPORT_AGAIN = "export the VM again; if it happens again, check the destination's storage";

export interface ReadBackResult {
  readonly issues: ValidationIssue[];
  /** What was read back, or why not; for job.info. */
  readonly notes: string[];
}

/**
 * Reads back every transformed file of `written` at every local copy. `unchecked` are further
 * files that no other check read (their package could not be opened): each is compared with the
 * digest recorded as it was written, as is a transformed file that cannot be read back.
 */
export async function readBackWrittenExport(
  written: WrittenExport,
  options: { signal?: AbortSignal | undefined; unchecked?: readonly string[] | undefined } = {},
): Promise<ReadBackResult> {
  const signal = options.signal ?? new AbortController().signal;
  const notes: string[] = [];
  const copies = written.files.flatMap((file) => {
    const transformed = written.transformed.get(file.name);
    if (!transformed && !options.unchecked?.includes(file.name)) return [];
    const paths = written.stagedPaths.get(file.name) ?? [];
    if (transformed && paths.length > 0 && !(transformed.reverse && transformed.plain)) notes.push(whyNotReadBack(file.name, transformed));
    return paths.map((path) => ({ file, transformed, path, where: paths.length > 1 ? `(copy in ${path}) ` : '' }));
  });
  const findings = await runWithConcurrency(
    copies,
    READ_BACK_PARALLELISM,
    async ({ file, transformed, path, where }) => {
      let found: Finding;
      try {
        found =
          transformed?.reverse && transformed.plain
            ? await readBack(path, file, transformed, transformed.plain, signal)
            : await compareWithWritten(path, file, signal);
      } catch (error) {
        signal.throwIfAborted();
        found = { error: `${file.name}: cannot read ${path}: ${errorMessage(error)}; ${EXPORT_AGAIN}` };
      }
      return { error: found.error && `${where}${found.error}`, note: found.note && `${where}${found.note}` };
    },
    () => undefined,
    signal,
  );
  return {
    issues: findings.flatMap(({ error }) => (error ? [errorIssue(READ_BACK_CHECK, error)] : [])),
    notes: [...notes, ...findings.flatMap(({ note }) => (note ? [note] : []))],
  };
}

/** The note for a transformed file that was compared with its written digest only. */
function whyNotReadBack(name: string, transformed: TransformedFile): string {
  const reason =
    transformed.irreversible !== undefined
      ? `the ${transformed.irreversible} stage has no way back during the export (as OpenPGP to recipients only: that takes a recipient's private key)`
      : `its bytes before ${describeStages(transformed.stages)} were not hashed as it was written (an interrupted run that did not hash them wrote it, and this run continued from it)`;
  return `${name} was not read back: ${reason}; it was compared with the SHA-256 recorded as it was written, which shows damage after writing but not a stage that wrote wrong bytes`;
}

interface Finding {
  readonly error?: string;
  readonly note?: string;
}

async function readBack(path: string, stored: FileDigest, transformed: TransformedFile, plain: FileDigest, signal: AbortSignal): Promise<Finding> {
  const undone = describeStages([...transformed.stages].reverse());
  const plainMeter = new DigestMeter();
  let failure: string | undefined;
  try {
    const reverse = await transformed.reverse!(signal);
    await (pipeline as (...streams: unknown[]) => Promise<void>)(createReadStream(path, { highWaterMark: 1 << 20 }), ...reverse, plainMeter, discard(), {
      signal,
    });
    if (plainMeter.bytes === plain.size && plainMeter.sha256 === plain.sha256) {
      return {
        note: `${stored.name}: read back through ${undone}: it turns back into ${plain.name} as it was written (${plain.size} bytes, SHA-256 ${plain.sha256})`,
      };
    }
    failure = `read back through ${undone}, it is ${plainMeter.bytes} bytes with SHA-256 ${plainMeter.sha256}, but ${plain.name} was ${plain.size} bytes with SHA-256 ${plain.sha256} when it was written`;
  } catch (error) {
    signal.throwIfAborted();
    failure = `reading it back through ${undone} failed: ${errorMessage(error)}`;
  }
  // Read once more (only on a failure): whether the stored bytes are still those written tells
  // damage after writing from a stage's bug.
  const now = await digestStream(createReadStream(path), signal);
  return { error: `${stored.name}: ${failure}; ${blame(stored, now)}` };
}

/** A file that cannot be read back: its bytes must still be those written. */
async function compareWithWritten(path: string, stored: FileDigest, signal: AbortSignal): Promise<Finding> {
  const now = await digestStream(createReadStream(path), signal);
  if (now.size === stored.size && now.sha256 === stored.sha256) return {};
  return { error: `${stored.name}: ${blame(stored, now)}` };
}

/** Says whether the stored file changed since it was written, or a stage wrote it wrong. */
function blame(stored: FileDigest, now: { size: number; sha256: string }): string {
  if (now.size !== stored.size || now.sha256 !== stored.sha256) {
    const size = now.size === stored.size ? '' : ` and ${now.size} bytes, ${stored.size} were written`;
    return `it changed after it was written (its SHA-256 is ${now.sha256}, ${stored.sha256} was written${size}); ${EXPORT_AGAIN}`;
  }
  return `what was written is intact, so a stage wrote bytes that do not turn back into what it was given (a bug in that stage); export again, and report it if it happens again`;
}

/** "zstd", "aes-256-gcm and zstd", "a, b and c". */
function describeStages(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}
