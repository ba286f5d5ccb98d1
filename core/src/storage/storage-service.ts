// The one interface every storage backend implements (local files, S3, Azure Blob, GCS, SFTP).
// The store stage, retention and `hyperexport remote` all go through it, so a backend written
// once serves all three. Keys are relative to the service's root (the target URL's path or
// prefix) and use `/` as separator.
import type { Readable } from 'node:stream';

export interface StoredObject {
  /** Key relative to the service root, `/`-separated. */
  readonly key: string;
  readonly size: number;
  readonly lastModified?: Date | undefined;
  /** The backend's own checksum, when it keeps one (S3 ETag of a single-part upload, Azure MD5). */
  readonly etag?: string | undefined;
  /** SHA-256 (hex) of the content, when the backend stores or computed it. */
  readonly sha256?: string | undefined;
  /** User metadata the object was put with (keys lower-case). */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

export interface PutOptions {
  readonly signal: AbortSignal;
  /** Bytes, when known in advance; streams of unknown length must work without it. */
  readonly size?: number | undefined;
  readonly contentType?: string | undefined;
  /** Small user metadata stored with the object (keys lower-case ASCII). */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  /** Called with the bytes sent so far (for progress per target). */
  readonly onProgress?: ((bytesSent: number) => void) | undefined;
}

export interface PutResult {
  readonly key: string;
  /** Bytes the backend now holds under the key (checked, not just counted on our side). */
  readonly size: number;
  readonly etag?: string | undefined;
  /** SHA-256 (hex) of what was sent, when the backend verified it. */
  readonly sha256?: string | undefined;
}

export interface RequestOptions {
  readonly signal: AbortSignal;
}

/**
 * A destination rooted at one URL. `put` makes the object visible only once it is complete (a
 * multipart upload completes, a block list commits, an SFTP file is renamed into place); when the
 * signal aborts or the stream fails, `put` rejects and leaves nothing behind (an S3 multipart
 * upload is aborted, not left billing). Errors name the target and say what to do.
 */
export interface StorageService {
  /** The target URL without credentials, for messages and results. */
  readonly url: string;
  put(key: string, body: Readable, options: PutOptions): Promise<PutResult>;
  /** Opens an object for reading; rejects with a NOT_FOUND ExportError when it does not exist. */
  get(key: string, options: RequestOptions): Promise<Readable>;
  /** Describes an object, or undefined when it does not exist. */
  stat(key: string, options: RequestOptions): Promise<StoredObject | undefined>;
  /**
   * Every object whose key starts with `prefix`, all pages. Throws rather than yield a partial
   * listing (retention must never act on one).
   */
  list(prefix: string, options: RequestOptions): AsyncIterable<StoredObject>;
  /** Deletes one object; deleting a missing object is not an error. */
  delete(key: string, options: RequestOptions): Promise<void>;
  /** Full URL of a key, for results and messages (no credentials). */
  urlOf(key: string): string;
  /** Closes connections (SFTP). */
  close?(): Promise<void>;
}

export interface StorageOpenContext {
  readonly signal: AbortSignal;
  /** Where to read secrets from: the environment (tests pass their own). */
  readonly env: NodeJS.ProcessEnv;
  /** Options given for this target in the config (`targets: [{ url, ...options }]`). */
  readonly options: Readonly<Record<string, unknown>>;
}

/** A plugin that can open targets of some URL schemes registers one of these in setup(). */
export interface StorageBackend {
  /** Name of the plugin, for messages. */
  readonly name: string;
  /** URL schemes without the colon, e.g. `['s3']`. */
  readonly schemes: readonly string[];
  open(url: URL, context: StorageOpenContext): Promise<StorageService>;
  /**
   * Checks a target's URL and options without connecting or reading anything (the usage check
   * before an export); throws a ConfigError naming the problem. `open` checks the same again.
   */
  check?(url: URL, options: Readonly<Record<string, unknown>>): void;
}
