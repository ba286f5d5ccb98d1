// The storage service for file:// targets: a local or mounted (NFS, SMB) directory. Objects are
// files below the root; a put writes a hidden partial file beside its target, flushes it and
// renames it into place, so a reader never sees half a file, and a failed put removes it.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { createExclusiveWriteStream, ExportError, writeFileAtomic } from '@hyperexport/core';
import type { PutOptions, PutResult, RequestOptions, StoredObject, StorageService } from '@hyperexport/core';

const PARTIAL_MARK = '.partial-';

/** User metadata of a file lives in a hidden sidecar beside it (hidden entries are never listed). */
function metadataPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.meta.json`);
}

export class FileStorageService implements StorageService {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get url(): string {
    return pathToFileURL(this.root).href;
  }

  urlOf(key: string): string {
    return pathToFileURL(this.#pathOf(key)).href;
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<PutResult> {
    const target = this.#pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const partial = join(dirname(target), `.${key.split('/').at(-1)!}${PARTIAL_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        bytes += chunk.length;
        options.onProgress?.(bytes);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createExclusiveWriteStream(partial, { flush: true }), { signal: options.signal });
      const { size } = await stat(partial);
      if (size !== bytes) throw new ExportError(`${this.urlOf(key)}: wrote ${size} bytes, sent ${bytes}`, { code: 'VERIFY' });
      // An announced SHA-256 is checked here rather than stored: the file itself is the truth.
      const { sha256: announced, ...metadata } = options.metadata ?? {};
      const sha256 = hash.digest('hex');
      if (announced !== undefined && announced !== sha256)
        throw new ExportError(`${this.urlOf(key)}: the bytes received do not match the announced SHA-256`, { code: 'VERIFY' });
      if (Object.keys(metadata).length > 0) await writeFileAtomic(metadataPath(target), JSON.stringify(metadata), { mode: 0o666 });
      else await rm(metadataPath(target), { force: true });
      // A put cancelled after its last byte must not appear anyway.
      options.signal.throwIfAborted();
      await rename(partial, target);
      return { key, size, sha256 };
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async get(key: string, options: RequestOptions): Promise<Readable> {
    const path = this.#pathOf(key);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw new ExportError(`${this.urlOf(key)} does not exist`, { code: 'NOT_FOUND', hint: 'check the URL with `hyperexport remote ls`' });
    return createReadStream(path, { signal: options.signal, highWaterMark: 1 << 20 });
  }

  async stat(key: string, _options?: RequestOptions): Promise<StoredObject | undefined> {
    const path = this.#pathOf(key);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    return { key, size: info.size, lastModified: info.mtime, metadata: await readMetadata(path) };
  }

  async *list(prefix: string, options: RequestOptions): AsyncIterable<StoredObject> {
    // Walk only the part of the tree the prefix can be in; errors propagate (no partial listing).
    const slash = prefix.lastIndexOf('/');
    const start = join(this.root, ...(slash < 0 ? [] : prefix.slice(0, slash).split('/')));
    const keys: StoredObject[] = [];
    await this.#walk(start, prefix, keys, options.signal);
    keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* keys;
  }

  async delete(key: string, _options?: RequestOptions): Promise<void> {
    const path = this.#pathOf(key);
    await rm(path, { force: true });
    await rm(metadataPath(path), { force: true });
    // Remove folders the delete emptied (an OVF export's folder), up to the root.
    for (let dir = dirname(path); dir.startsWith(`${this.root}${sep}`); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
    }
  }

  async #walk(directory: string, prefix: string, into: StoredObject[], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(directory, entry.name);
      const key = relative(this.root, path).split(sep).join('/');
      // Hidden entries are work in progress (staging folders, partial files), never objects.
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.#walk(path, prefix, into, signal);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const info = await stat(path);
        into.push({ key, size: info.size, lastModified: info.mtime });
      }
    }
  }

  #pathOf(key: string): string {
    const path = resolve(this.root, ...key.split('/'));
    if (key === '' || key.split('/').some((part) => part === '..' || part === '' || part === '.') || !path.startsWith(`${this.root}${sep}`)) {
      throw new ExportError(`"${key}" is not a valid object key below ${this.root}`, { code: 'BAD_KEY' });
    }
    return path;
  }
}

async function readMetadata(path: string): Promise<Record<string, string> | undefined> {
  try {
    return JSON.parse(await readFile(metadataPath(path), 'utf8')) as Record<string, string>;
  } catch {
    return undefined;
  }
}
