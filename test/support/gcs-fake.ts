// A faithful fake of the subset of the Google Cloud Storage JSON API that @google-cloud/storage
// uses, served over node:http on loopback. No GCS emulator is available from our registries, so
// the tests talk to this through the REAL client library; it follows the documented protocol:
//
// - JSON API under `/storage/v1` (and without that prefix, as STORAGE_EMULATOR_HOST clients send):
//   buckets.get, objects.list (prefix, delimiter, pageToken, maxResults, capped by a small server
//   page size so clients must follow nextPageToken), objects.get (metadata, or `alt=media` with
//   Range → 206/416 and the x-goog-hash / x-goog-stored-* headers), objects.patch (custom
//   metadata, metageneration), objects.delete; preconditions ifGenerationMatch and
//   ifMetagenerationMatch (412); errors in the `{ error: { code, message, errors: [...] } }` shape.
// - Uploads under `/upload/storage/v1/b/BUCKET/o`: uploadType=media, multipart (multipart/related)
//   and resumable. A resumable POST answers 200 with a session URI in `Location`; PUTs to it carry
//   `Content-Range: bytes A-B/*` (answered 308 with `Range: bytes=0-N`; intermediate chunks must be
//   multiples of 256 KiB), `bytes A-B/TOTAL` or `bytes A-*/*` (final), or `bytes */*` (status
//   query); a DELETE cancels the session (499) and later requests get 410. Only a finalized
//   session creates an object. When a chunk's connection dies, only whole 256 KiB blocks of it are
//   kept, as GCS may persist fewer bytes than were sent.
// - Checksums, as GCS checks them: an upload of any kind (media, multipart, resumable) that
//   claims a CRC32C or MD5 of its data, in an `X-Goog-Hash: crc32c=…,md5=…` header (on the final
//   request of a resumable session) or as `crc32c`/`md5Hash` in the object resource (the JSON part
//   of a multipart upload, or the body that starts a resumable session), is refused with 400
//   when the data received does not match, and no object is made. `corruptNextUpload` flips a
//   byte of what the next upload of a name delivers, as a fault on the way would: the checks
//   above then see it, and a client that claims no checksum gets a corrupt object.
//   `misreportSize` makes the next answer that finalises an upload of a name, or updates its
//   metadata, report one byte more than the object holds, for the client's size checks.
// - Every request is recorded with its headers (`requests`), for tests of what the client sent.
// - Auth: every JSON API call and upload initiation needs `Authorization: Bearer TOKEN` with a
//   token this fake issued (401 otherwise, with GCS's messages); session URIs authenticate
//   themselves, as in GCS. Tokens come from an STS token-exchange endpoint (`POST /sts/v1/token`,
//   RFC 8693, what Workload Identity Federation credential files point `token_url` at), so the
//   library's real credential code runs: a bad subject token gets `invalid_grant`, a revoked one
//   gets a token that the storage API refuses with 401.
//
// Object data lives in files under a temporary directory, so large uploads do not sit in memory.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const RESUMABLE_BLOCK = 256 * 1024;

export interface GcsFakeOptions {
  /** Buckets that exist from the start. */
  buckets?: readonly string[];
  /** Most items a list page holds, whatever maxResults asks (GCS caps it too). Default 1000. */
  pageSize?: number;
  /** Serve requests without credentials, as local emulators do. Default false. */
  allowAnonymous?: boolean;
}

/** A failure the next matching request(s) get instead of an answer. */
interface InjectedFailure {
  readonly when: (request: SeenRequest) => boolean;
  readonly status: number;
  remaining: number;
}

export interface StoredFakeObject {
  readonly bucket: string;
  readonly name: string;
  readonly generation: number;
  metageneration: number;
  readonly size: number;
  readonly contentType: string;
  readonly md5: string;
  readonly crc32c: string;
  metadata: Record<string, string>;
  readonly storageClass: string;
  readonly timeCreated: string;
  updated: string;
  readonly path: string;
}

export interface FakeUploadSession {
  readonly id: string;
  readonly bucket: string;
  readonly name: string;
  readonly resource: Record<string, unknown>;
  readonly expectedSize: number | undefined;
  readonly path: string;
  readonly ifGenerationMatch: number | undefined;
  received: number;
  state: 'active' | 'finalized' | 'cancelled';
  object?: StoredFakeObject;
  /** Requests (PUT) currently streaming into this session. */
  readonly inFlight: Set<IncomingMessage>;
}

/** A request as the fake saw it, for tests that check what the client sent. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentRange?: string | undefined;
  readonly authorized: boolean;
  /** The request's headers, names in lower case (`authorization` redacted). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

class FakeError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly extra: Record<string, unknown>;
  constructor(status: number, message: string, reason: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.extra = extra;
  }
}

export class GcsFake {
  readonly directory: string;
  readonly buckets = new Map<string, Map<string, StoredFakeObject>>();
  readonly sessions = new Map<string, FakeUploadSession>();
  readonly requests: SeenRequest[] = [];
  /** Called as bytes of a resumable session arrive; tests use it to kill the server midway. */
  onUploadBytes: ((session: FakeUploadSession, receivedInSession: number) => void) | undefined;
  readonly #failures: InjectedFailure[] = [];
  /** Object names whose next upload gets one byte flipped (see corruptNextUpload). */
  readonly #corruptions = new Set<string>();
  /** Object names whose next answer of one kind reports a wrong size (see misreportSize). */
  readonly #misreportedSizes = new Map<string, 'upload' | 'update'>();
  readonly #pageSize: number;
  readonly #allowAnonymous: boolean;
  readonly #tokens = new Map<string, 'valid' | 'revoked'>();
  readonly #subjects = new Map<string, 'valid' | 'revoked'>();
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;
  #generation = Date.now() * 1000;

  private constructor(directory: string, options: GcsFakeOptions) {
    this.directory = directory;
    this.#pageSize = options.pageSize ?? 1000;
    this.#allowAnonymous = options.allowAnonymous ?? false;
    for (const bucket of options.buckets ?? []) this.buckets.set(bucket, new Map());
  }

  static async start(options: GcsFakeOptions = {}): Promise<GcsFake> {
    const directory = await mkdtemp(join(tmpdir(), 'hyperexport-gcs-fake-'));
    await mkdir(join(directory, 'objects'));
    await mkdir(join(directory, 'sessions'));
    const fake = new GcsFake(directory, options);
    await fake.listen(0);
    return fake;
  }

  get port(): number {
    return this.#port;
  }

  /** What clients use as apiEndpoint. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The STS token-exchange endpoint (`token_url` of an external_account credential file). */
  get tokenUrl(): string {
    return `${this.endpoint}/sts/v1/token`;
  }

  /** A subject token the STS endpoint will exchange; `revoked` ones get tokens storage refuses. */
  acceptSubjectToken(subjectToken: string, state: 'valid' | 'revoked' = 'valid'): void {
    this.#subjects.set(subjectToken, state);
  }

  /**
   * Writes a Workload Identity Federation credential file (what GOOGLE_APPLICATION_CREDENTIALS
   * points at) whose subject token is read from a file and exchanged at this fake's STS endpoint.
   */
  async writeCredentialFile(directory: string, subjectToken: string, name = 'gcs-credentials.json'): Promise<string> {
    const tokenFile = join(directory, `${name}.subject-token`);
    await writeFile(tokenFile, subjectToken, { mode: 0o600 });
    const path = join(directory, name);
    const credentials = {
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/hyperexport-tests/providers/fake',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: this.tokenUrl,
      credential_source: { file: tokenFile, format: { type: 'text' } },
    };
    await writeFile(path, JSON.stringify(credentials, null, 2), { mode: 0o600 });
    return path;
  }

  /** The next `times` requests matching `when` are answered `status` (503: a transient error). */
  failNext(when: (request: SeenRequest) => boolean, status = 503, times = 1): void {
    this.#failures.push({ when, status, remaining: times });
  }

  /**
   * The next upload of `name` (any kind) arrives with one byte flipped, as if damaged on the way:
   * what the fake then checks and stores is the damaged data.
   */
  corruptNextUpload(name: string): void {
    this.#corruptions.add(name);
  }

  /**
   * The next answer about `name` of one kind (`upload`: the one that finalises an upload;
   * `update`: a metadata update) reports one byte more than the object holds, as a server that
   * kept other bytes than were sent would: the stored object itself is unchanged.
   */
  misreportSize(name: string, answer: 'upload' | 'update'): void {
    this.#misreportedSizes.set(name, answer);
  }

  /** The object's resource as answered to `answer`, with a wrong size when a test asked for it. */
  #answerAbout(object: StoredFakeObject, answer: 'upload' | 'update'): Record<string, unknown> {
    const resource = this.#resource(object);
    if (this.#misreportedSizes.get(object.name) !== answer) return resource;
    this.#misreportedSizes.delete(object.name);
    return { ...resource, size: String(object.size + 1) };
  }

  addBucket(name: string): void {
    if (!this.buckets.has(name)) this.buckets.set(name, new Map());
  }

  objectNames(bucket: string): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])].sort();
  }

  /** Sessions neither finalized nor cancelled: what GCS would keep for a week. */
  openSessions(): FakeUploadSession[] {
    return [...this.sessions.values()].filter((session) => session.state === 'active');
  }

  async listen(port: number): Promise<void> {
    const server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.#sendError(response, error instanceof FakeError ? error : new FakeError(500, String(error), 'backendError'));
        else response.destroy();
      });
    });
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.#port = typeof address === 'object' && address ? address.port : port;
    this.#server = server;
  }

  /** The server dies: every connection is cut at once, nothing more is answered. */
  async kill(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Comes back on the same port with the same state (as the real service would be). */
  async restart(): Promise<void> {
    await this.listen(this.#port);
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.directory, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------------------------------------

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const method = request.method ?? 'GET';
    const path = url.pathname;
    const authorized = this.#isAuthorized(request);
    const headers = { ...request.headers, ...(request.headers.authorization ? { authorization: 'Bearer ***' } : {}) };
    const seen: SeenRequest = { method, path, query, contentRange: request.headers['content-range'], authorized, headers };
    this.requests.push(seen);
    const failure = this.#failures.find((candidate) => candidate.remaining > 0 && candidate.when(seen));
    if (failure) {
      failure.remaining--;
      request.resume();
      throw new FakeError(failure.status, `Injected failure (HTTP ${failure.status})`, failure.status >= 500 ? 'backendError' : 'injected');
    }

    if (path === '/sts/v1/token' && method === 'POST') return this.#exchangeToken(request, response);

    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    if (upload) {
      const bucket = decodeURIComponent(upload[1]!);
      if (query.upload_id !== undefined) return this.#resumableSession(request, response, query.upload_id);
      this.#requireAuth(request, 'storage.objects.create');
      if (method !== 'POST') throw new FakeError(405, `Method ${method} not allowed on uploads`, 'methodNotAllowed');
      const objects = this.#bucket(bucket);
      if (query.uploadType === 'resumable') return this.#startResumable(request, response, bucket, query);
      if (query.uploadType === 'media') return this.#uploadMedia(request, response, bucket, objects, query);
      if (query.uploadType === 'multipart') return this.#uploadMultipart(request, response, bucket, objects, query);
      throw new FakeError(400, `Invalid upload type: ${query.uploadType ?? '(none)'}`, 'invalid');
    }

    // The JSON API, with or without the /storage/v1 prefix (STORAGE_EMULATOR_HOST clients omit it).
    const api = path.replace(/^\/storage\/v1(?=\/)/, '').replace(/^\/download\/storage\/v1(?=\/)/, '');
    const objectMatch = /^\/b\/([^/]+)\/o\/(.+)$/.exec(api);
    if (objectMatch) {
      const bucket = decodeURIComponent(objectMatch[1]!);
      const name = decodeURIComponent(objectMatch[2]!);
      if (method === 'GET') {
        this.#requireAuth(request, 'storage.objects.get');
        const object = this.#object(bucket, name, query);
        if (query.alt === 'media') return this.#sendMedia(request, response, object);
        return this.#sendJson(response, 200, this.#resource(object));
      }
      if (method === 'PATCH' || method === 'PUT') {
        this.#requireAuth(request, 'storage.objects.update');
        const object = this.#object(bucket, name, query);
        const body = JSON.parse((await readBody(request)).toString('utf8') || '{}') as {
          metadata?: Record<string, string | null> | null;
          contentType?: string;
        };
        if (body.metadata === null) object.metadata = {};
        else if (body.metadata) {
          for (const [key, value] of Object.entries(body.metadata)) {
            if (value === null) delete object.metadata[key];
            else object.metadata[key] = String(value);
          }
        }
        object.metageneration++;
        object.updated = new Date().toISOString();
        return this.#sendJson(response, 200, this.#answerAbout(object, 'update'));
      }
      if (method === 'DELETE') {
        this.#requireAuth(request, 'storage.objects.delete');
        const object = this.#object(bucket, name, query);
        this.buckets.get(bucket)!.delete(name);
        await rm(object.path, { force: true });
        response.writeHead(204).end();
        return;
      }
      throw new FakeError(405, `Method ${method} not allowed`, 'methodNotAllowed');
    }
    const listMatch = /^\/b\/([^/]+)\/o\/?$/.exec(api);
    if (listMatch && method === 'GET') {
      this.#requireAuth(request, 'storage.objects.list');
      return this.#list(response, decodeURIComponent(listMatch[1]!), query);
    }
    const bucketMatch = /^\/b\/([^/]+)\/?$/.exec(api);
    if (bucketMatch && method === 'GET') {
      this.#requireAuth(request, 'storage.buckets.get');
      const name = decodeURIComponent(bucketMatch[1]!);
      this.#bucket(name);
      return this.#sendJson(response, 200, {
        kind: 'storage#bucket',
        id: name,
        name,
        selfLink: `${this.endpoint}/storage/v1/b/${name}`,
        projectNumber: '123456',
        location: 'US',
        storageClass: 'STANDARD',
        timeCreated: new Date(0).toISOString(),
        updated: new Date(0).toISOString(),
        metageneration: '1',
        etag: 'CAE=',
      });
    }
    throw new FakeError(404, `Not Found: ${method} ${path}`, 'notFound');
  }

  // Auth ----------------------------------------------------------------------------------------

  #isAuthorized(request: IncomingMessage): boolean {
    const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
    return match !== null && this.#tokens.get(match[1]!) === 'valid';
  }

  #requireAuth(request: IncomingMessage, permission: string): void {
    const header = request.headers.authorization;
    if (!header && this.#allowAnonymous) return;
    if (!header) {
      throw new FakeError(
        401,
        `Anonymous caller does not have ${permission} access to the Google Cloud Storage resource. Permission '${permission}' denied on resource (or it may not exist).`,
        'required',
        { locationType: 'header', location: 'Authorization' },
      );
    }
    if (!this.#isAuthorized(request)) {
      throw new FakeError(401, 'Invalid Credentials', 'authError', { locationType: 'header', location: 'Authorization' });
    }
  }

  async #exchangeToken(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(request)).toString('utf8'));
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange') {
      return this.#sendJson(response, 400, { error: 'unsupported_grant_type', error_description: `Unsupported grant type: ${form.get('grant_type')}` });
    }
    const state = this.#subjects.get(form.get('subject_token') ?? '');
    if (!state) {
      return this.#sendJson(response, 400, { error: 'invalid_grant', error_description: 'The provided subject token is invalid or has expired.' });
    }
    const token = `ya29.fake-${randomBytes(12).toString('hex')}`;
    this.#tokens.set(token, state);
    return this.#sendJson(response, 200, {
      access_token: token,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 3600,
    });
  }

  // Buckets and objects -------------------------------------------------------------------------

  #bucket(name: string): Map<string, StoredFakeObject> {
    const objects = this.buckets.get(name);
    if (!objects) throw new FakeError(404, 'The specified bucket does not exist.', 'notFound');
    return objects;
  }

  #object(bucket: string, name: string, query: Record<string, string>): StoredFakeObject {
    const object = this.#bucket(bucket).get(name);
    if (!object || (query.generation !== undefined && String(object.generation) !== query.generation)) {
      throw new FakeError(404, `No such object: ${bucket}/${name}`, 'notFound');
    }
    checkPreconditions(object, query);
    return object;
  }

  #resource(object: StoredFakeObject): Record<string, unknown> {
    const encoded = encodeURIComponent(object.name);
    return {
      kind: 'storage#object',
      id: `${object.bucket}/${object.name}/${object.generation}`,
      selfLink: `${this.endpoint}/storage/v1/b/${object.bucket}/o/${encoded}`,
      mediaLink: `${this.endpoint}/download/storage/v1/b/${object.bucket}/o/${encoded}?generation=${object.generation}&alt=media`,
      name: object.name,
      bucket: object.bucket,
      generation: String(object.generation),
      metageneration: String(object.metageneration),
      contentType: object.contentType,
      storageClass: object.storageClass,
      size: String(object.size),
      md5Hash: object.md5,
      crc32c: object.crc32c,
      etag: Buffer.from(`${object.generation}/${object.metageneration}`).toString('base64'),
      timeCreated: object.timeCreated,
      updated: object.updated,
      timeStorageClassUpdated: object.timeCreated,
      ...(Object.keys(object.metadata).length > 0 ? { metadata: { ...object.metadata } } : {}),
    };
  }

  #list(response: ServerResponse, bucket: string, query: Record<string, string>): void {
    const objects = this.#bucket(bucket);
    const prefix = query.prefix ?? '';
    const delimiter = query.delimiter;
    const limit = Math.min(this.#pageSize, query.maxResults ? Number(query.maxResults) : 1000);
    const after = query.pageToken ? Buffer.from(query.pageToken, 'base64').toString('utf8') : undefined;
    const names = [...objects.keys()].filter((name) => name.startsWith(prefix) && (after === undefined || name > after)).sort();
    const items: Record<string, unknown>[] = [];
    const prefixes = new Set<string>();
    let last: string | undefined;
    let more = false;
    for (const name of names) {
      if (items.length + prefixes.size >= limit) {
        more = true;
        break;
      }
      last = name;
      if (delimiter) {
        const cut = name.indexOf(delimiter, prefix.length);
        if (cut >= 0) {
          prefixes.add(name.slice(0, cut + delimiter.length));
          continue;
        }
      }
      items.push(this.#resource(objects.get(name)!));
    }
    this.#sendJson(response, 200, {
      kind: 'storage#objects',
      ...(items.length > 0 ? { items } : {}),
      ...(prefixes.size > 0 ? { prefixes: [...prefixes] } : {}),
      ...(more && last !== undefined ? { nextPageToken: Buffer.from(last).toString('base64') } : {}),
    });
  }

  async #sendMedia(request: IncomingMessage, response: ServerResponse, object: StoredFakeObject): Promise<void> {
    const headers: Record<string, string> = {
      'content-type': object.contentType,
      etag: Buffer.from(`${object.generation}/${object.metageneration}`).toString('base64'),
      'last-modified': new Date(object.updated).toUTCString(),
      'x-goog-generation': String(object.generation),
      'x-goog-metageneration': String(object.metageneration),
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-stored-content-length': String(object.size),
      'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5}`,
      'x-goog-storage-class': object.storageClass,
      'accept-ranges': 'bytes',
    };
    const range = parseRange(request.headers.range, object.size);
    if (range === 'unsatisfiable') {
      response.writeHead(416, { 'content-range': `bytes */${object.size}` }).end();
      return;
    }
    if (range) {
      response.writeHead(206, {
        ...headers,
        'content-length': String(range.end - range.start + 1),
        'content-range': `bytes ${range.start}-${range.end}/${object.size}`,
      });
      if (object.size > 0) await pipeline(createReadStream(object.path, { start: range.start, end: range.end }), response);
      else response.end();
      return;
    }
    response.writeHead(200, { ...headers, 'content-length': String(object.size) });
    if (object.size === 0) {
      response.end();
      return;
    }
    await pipeline(createReadStream(object.path), response);
  }

  /** Makes `dataPath` (already written) the new live generation of bucket/name. */
  async #commit(bucket: string, name: string, dataPath: string, resource: Record<string, unknown>): Promise<StoredFakeObject> {
    const objects = this.#bucket(bucket);
    const { size, md5, crc32c } = await digestFile(dataPath);
    const generation = ++this.#generation;
    const path = join(this.directory, 'objects', `${generation}`);
    await rename(dataPath, path);
    const now = new Date().toISOString();
    const metadata = (resource.metadata ?? {}) as Record<string, unknown>;
    const object: StoredFakeObject = {
      bucket,
      name,
      generation,
      metageneration: 1,
      size,
      md5,
      crc32c,
      path,
      contentType: typeof resource.contentType === 'string' ? resource.contentType : 'application/octet-stream',
      metadata: Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, String(value)])),
      storageClass: typeof resource.storageClass === 'string' ? resource.storageClass : 'STANDARD',
      timeCreated: now,
      updated: now,
    };
    const previous = objects.get(name);
    objects.set(name, object);
    if (previous) await rm(previous.path, { force: true });
    return object;
  }

  /** Flips the middle byte of an upload's data when the test asked for it (corruptNextUpload). */
  async #damageIfAsked(name: string, dataPath: string): Promise<void> {
    if (!this.#corruptions.delete(name)) return;
    const { size } = await stat(dataPath);
    if (size === 0) return;
    const handle = await open(dataPath, 'r+');
    try {
      const byte = Buffer.alloc(1);
      const at = Math.floor(size / 2);
      await handle.read(byte, 0, 1, at);
      byte[0]! ^= 0xff;
      await handle.write(byte, 0, 1, at);
    } finally {
      await handle.close();
    }
  }

  #checkCreatePreconditions(bucket: string, name: string, ifGenerationMatch: number | undefined): void {
    if (ifGenerationMatch === undefined) return;
    const existing = this.buckets.get(bucket)?.get(name);
    if ((existing?.generation ?? 0) !== ifGenerationMatch)
      throw new FakeError(412, 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet');
  }

  async #uploadMedia(
    request: IncomingMessage,
    response: ServerResponse,
    bucket: string,
    _objects: Map<string, StoredFakeObject>,
    query: Record<string, string>,
  ): Promise<void> {
    const name = query.name;
    if (!name) throw new FakeError(400, 'Required parameter: name', 'required');
    this.#checkCreatePreconditions(bucket, name, numberOrUndefined(query.ifGenerationMatch));
    const dataPath = join(this.directory, 'sessions', `media-${randomUUID()}`);
    await pipeline(request, createWriteStream(dataPath));
    await this.#damageIfAsked(name, dataPath);
    await checkClaimedHashes(dataPath, request, {}).catch(async (error: unknown) => {
      await rm(dataPath, { force: true });
      throw error;
    });
    const object = await this.#commit(bucket, name, dataPath, { contentType: request.headers['content-type'] });
    this.#sendJson(response, 200, this.#answerAbout(object, 'upload'));
  }

  async #uploadMultipart(
    request: IncomingMessage,
    response: ServerResponse,
    bucket: string,
    _objects: Map<string, StoredFakeObject>,
    query: Record<string, string>,
  ): Promise<void> {
    const boundary = /boundary="?([^";]+)"?/.exec(request.headers['content-type'] ?? '')?.[1];
    if (!boundary) throw new FakeError(400, 'Missing multipart boundary', 'invalid');
    // Multipart uploads are for small objects (the client switches to resumable for big ones).
    const body = await readBody(request);
    const parts = splitMultipart(body, boundary);
    if (parts.length !== 2) throw new FakeError(400, `Expected 2 parts in a multipart upload, got ${parts.length}`, 'invalid');
    const resource = JSON.parse(parts[0]!.body.toString('utf8')) as Record<string, unknown>;
    const media = parts[1]!;
    const name = query.name ?? (typeof resource.name === 'string' ? resource.name : undefined);
    if (!name) throw new FakeError(400, 'Required parameter: name', 'required');
    this.#checkCreatePreconditions(bucket, name, numberOrUndefined(query.ifGenerationMatch));
    const dataPath = join(this.directory, 'sessions', `multipart-${randomUUID()}`);
    await writeFile(dataPath, media.body);
    await this.#damageIfAsked(name, dataPath);
    await checkClaimedHashes(dataPath, request, resource).catch(async (error: unknown) => {
      await rm(dataPath, { force: true });
      throw error;
    });
    const object = await this.#commit(bucket, name, dataPath, { contentType: media.headers['content-type'], ...resource });
    this.#sendJson(response, 200, this.#answerAbout(object, 'upload'));
  }

  // Resumable uploads ---------------------------------------------------------------------------

  async #startResumable(request: IncomingMessage, response: ServerResponse, bucket: string, query: Record<string, string>): Promise<void> {
    const raw = (await readBody(request)).toString('utf8');
    const resource = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const name = query.name ?? (typeof resource.name === 'string' ? resource.name : undefined);
    if (!name) throw new FakeError(400, 'Required parameter: name', 'required');
    const ifGenerationMatch = numberOrUndefined(query.ifGenerationMatch);
    this.#checkCreatePreconditions(bucket, name, ifGenerationMatch);
    const contentType = request.headers['x-upload-content-type'];
    const expected = request.headers['x-upload-content-length'];
    const id = `ADPycdu${randomBytes(24).toString('base64url')}`;
    const path = join(this.directory, 'sessions', id);
    await writeFile(path, '');
    this.sessions.set(id, {
      id,
      bucket,
      name,
      path,
      ifGenerationMatch,
      resource: { ...resource, ...(typeof contentType === 'string' ? { contentType } : {}) },
      expectedSize: typeof expected === 'string' ? Number(expected) : undefined,
      received: 0,
      state: 'active',
      inFlight: new Set(),
    });
    const location = `${this.endpoint}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
    response.writeHead(200, { location, 'x-guploader-uploadid': id, 'content-length': '0' }).end();
  }

  async #resumableSession(request: IncomingMessage, response: ServerResponse, id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) throw new FakeError(404, 'No such upload session.', 'notFound');
    const method = request.method ?? 'PUT';
    if (method === 'DELETE') {
      if (session.state === 'active') {
        session.state = 'cancelled';
        // GCS ends the session: data still streaming into it is refused.
        for (const inFlight of session.inFlight) inFlight.socket.destroy();
        await rm(session.path, { force: true });
      }
      if (session.state === 'finalized') return this.#sendJson(response, 200, this.#resource(session.object!));
      response.writeHead(499, { 'content-length': '0' }).end();
      return;
    }
    if (method !== 'PUT' && method !== 'POST') throw new FakeError(405, `Method ${method} not allowed on an upload session`, 'methodNotAllowed');
    if (session.state === 'cancelled') {
      request.resume();
      throw new FakeError(410, 'The upload session was cancelled.', 'gone');
    }
    if (session.state === 'finalized') {
      request.resume();
      return this.#sendJson(response, 200, this.#resource(session.object!));
    }
    const range = parseContentRange(request.headers['content-range']);
    if (range === undefined) {
      request.resume();
      throw new FakeError(400, `Invalid Content-Range: ${request.headers['content-range'] ?? '(none)'}`, 'invalid');
    }
    if (range.kind === 'query') {
      request.resume();
      if (range.total !== undefined && range.total === session.received) return this.#finalize(response, session, request);
      return this.#incomplete(response, session);
    }
    if (range.start > session.received) {
      request.resume();
      throw new FakeError(400, `Invalid request. The upload has ${session.received} bytes; this chunk starts at ${range.start}.`, 'invalid');
    }
    const chunkLength = range.end === undefined ? undefined : range.end - range.start + 1;
    const intermediate = range.end !== undefined && (range.total === undefined || range.end + 1 < range.total);
    if (intermediate && chunkLength! % RESUMABLE_BLOCK !== 0) {
      request.resume();
      throw new FakeError(400, `Invalid request. The chunk size ${chunkLength} is not a multiple of 262144 bytes.`, 'invalid');
    }
    await this.#receiveChunk(request, session, range.start);
    if (range.end !== undefined && session.received < range.end + 1) {
      // The body ended short of what Content-Range announced.
      throw new FakeError(400, `Invalid request. Content-Range announced bytes up to ${range.end}, got ${session.received - 1}.`, 'invalid');
    }
    const total = range.total ?? (range.end === undefined ? session.received : undefined);
    if (total === undefined || session.received < total) return this.#incomplete(response, session);
    if (total !== session.received)
      throw new FakeError(400, `Invalid request. The final size ${total} does not match the ${session.received} bytes received.`, 'invalid');
    return this.#finalize(response, session, request);
  }

  /** Streams a chunk into the session file; a chunk overlapping what is stored is trimmed. */
  async #receiveChunk(request: IncomingMessage, session: FakeUploadSession, start: number): Promise<void> {
    session.inFlight.add(request);
    const handle = await open(session.path, 'r+');
    let skip = session.received - start;
    const before = session.received;
    let position = session.received;
    let broken = false;
    try {
      for await (const piece of request as AsyncIterable<Buffer>) {
        let chunk = piece;
        if (skip > 0) {
          const dropped = Math.min(skip, chunk.length);
          chunk = chunk.subarray(dropped);
          skip -= dropped;
        }
        if (chunk.length === 0) continue;
        await handle.write(chunk, 0, chunk.length, position);
        position += chunk.length;
        session.received = position;
        this.onUploadBytes?.(session, position);
      }
    } catch {
      broken = true;
    } finally {
      await handle.close();
      session.inFlight.delete(request);
    }
    if (broken || request.readableAborted || session.state !== 'active') {
      // GCS keeps whole 256 KiB blocks of an interrupted request; the client asks how many.
      const kept = before + Math.floor((position - before) / RESUMABLE_BLOCK) * RESUMABLE_BLOCK;
      if (session.state === 'active') {
        session.received = kept;
        await truncate(session.path, kept);
      }
      throw new FakeError(499, 'Client closed the request.', 'clientClosed');
    }
  }

  #incomplete(response: ServerResponse, session: FakeUploadSession): void {
    const headers: Record<string, string> = { 'content-length': '0', 'x-guploader-uploadid': session.id };
    if (session.received > 0) headers.range = `bytes=0-${session.received - 1}`;
    response.writeHead(308, headers).end();
  }

  async #finalize(response: ServerResponse, session: FakeUploadSession, request: IncomingMessage): Promise<void> {
    if (session.expectedSize !== undefined && session.expectedSize !== session.received) {
      throw new FakeError(400, `Invalid request. X-Upload-Content-Length was ${session.expectedSize}, received ${session.received} bytes.`, 'invalid');
    }
    await this.#damageIfAsked(session.name, session.path);
    await checkClaimedHashes(session.path, request, session.resource);
    this.#checkCreatePreconditions(session.bucket, session.name, session.ifGenerationMatch);
    const dataPath = `${session.path}.final`;
    await rename(session.path, dataPath);
    session.object = await this.#commit(session.bucket, session.name, dataPath, session.resource);
    session.state = 'finalized';
    this.#sendJson(response, 200, this.#answerAbout(session.object, 'upload'));
  }

  // Responses -----------------------------------------------------------------------------------

  #sendJson(response: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(Buffer.byteLength(text)) }).end(text);
  }

  #sendError(response: ServerResponse, error: FakeError): void {
    const headers: Record<string, string> = {};
    if (error.status === 401) headers['www-authenticate'] = 'Bearer realm="https://accounts.google.com/"';
    const text = JSON.stringify({
      error: { code: error.status, message: error.message, errors: [{ message: error.message, domain: 'global', reason: error.reason, ...error.extra }] },
    });
    response
      .writeHead(error.status, { ...headers, 'content-type': 'application/json; charset=UTF-8', 'content-length': String(Buffer.byteLength(text)) })
      .end(text);
  }
}

// Helpers -----------------------------------------------------------------------------------------

function checkPreconditions(object: StoredFakeObject, query: Record<string, string>): void {
  if (query.ifGenerationMatch !== undefined && String(object.generation) !== query.ifGenerationMatch) {
    throw new FakeError(412, 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet');
  }
  if (query.ifMetagenerationMatch !== undefined && String(object.metageneration) !== query.ifMetagenerationMatch) {
    throw new FakeError(412, 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet');
  }
}

function numberOrUndefined(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of request as AsyncIterable<Buffer>) parts.push(part);
  return Buffer.concat(parts);
}

type ContentRange = { kind: 'query'; total: number | undefined } | { kind: 'data'; start: number; end: number | undefined; total: number | undefined };

// Content-Range forms: `bytes */*`, `bytes */N`, `bytes A-B/*`, `bytes A-B/N`, `bytes A-*/*`
// (and `bytes 0--1/0`, which the client sends to finish an empty object).
function parseContentRange(header: string | undefined): ContentRange | undefined {
  if (header === undefined) return { kind: 'data', start: 0, end: undefined, total: undefined };
  const query = /^bytes \*\/(\*|\d+)$/.exec(header);
  if (query) return { kind: 'query', total: query[1] === '*' ? undefined : Number(query[1]) };
  const data = /^bytes (\d+)-(\*|-?\d+)\/(\*|\d+)$/.exec(header);
  if (!data) return undefined;
  const total = data[3] === '*' ? undefined : Number(data[3]);
  if (data[2] === '-1' && total === 0) return { kind: 'query', total: 0 };
  return { kind: 'data', start: Number(data[1]), end: data[2] === '*' ? undefined : Number(data[2]), total };
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header);
  if (!match) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/**
 * Refuses data whose CRC32C or MD5 differs from one the client claimed, in `X-Goog-Hash` or in
 * the object resource (`crc32c`, `md5Hash`), with GCS's 400 and messages.
 */
async function checkClaimedHashes(dataPath: string, request: IncomingMessage, resource: Record<string, unknown>): Promise<void> {
  const header = parseGoogHash(request.headers['x-goog-hash']);
  const claims = [
    ['CRC32C', 'crc32c', header.crc32c],
    ['MD5 hash', 'md5', header.md5],
    ['CRC32C', 'crc32c', typeof resource.crc32c === 'string' ? resource.crc32c : undefined],
    ['MD5 hash', 'md5', typeof resource.md5Hash === 'string' ? resource.md5Hash : undefined],
  ] as const;
  if (claims.every(([, , claimed]) => claimed === undefined)) return;
  const digest = await digestFile(dataPath);
  for (const [label, kind, claimed] of claims) {
    if (claimed !== undefined && claimed !== digest[kind]) {
      throw new FakeError(400, `Provided ${label} "${claimed}" doesn't match calculated ${label} "${digest[kind]}".`, 'invalid');
    }
  }
}

function parseGoogHash(header: string | string[] | undefined): { crc32c?: string; md5?: string } {
  const out: { crc32c?: string; md5?: string } = {};
  for (const part of (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',')) {
    const cut = part.indexOf('=');
    if (cut < 0) continue;
    const key = part.slice(0, cut).trim();
    if (key === 'crc32c' || key === 'md5') out[key] = part.slice(cut + 1).trim();
  }
  return out;
}

function splitMultipart(body: Buffer, boundary: string): Array<{ headers: Record<string, string>; body: Buffer }> {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Array<{ headers: Record<string, string>; body: Buffer }> = [];
  let index = body.indexOf(delimiter);
  while (index >= 0) {
    const start = index + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers: Record<string, string> = {};
    for (const line of part.subarray(0, headerEnd).toString('utf8').split('\r\n')) {
      const cut = line.indexOf(':');
      if (cut > 0) headers[line.slice(0, cut).trim().toLowerCase()] = line.slice(cut + 1).trim();
    }
    parts.push({ headers, body: part.subarray(headerEnd + 4) });
    index = next;
  }
  return parts;
}

async function digestFile(path: string): Promise<{ size: number; md5: string; crc32c: string }> {
  const md5 = createHash('md5');
  let crc = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    md5.update(chunk);
    crc = crc32cUpdate(crc, chunk);
  }
  const crcBytes = Buffer.alloc(4);
  crcBytes.writeUInt32BE(crc >>> 0);
  return { size: (await stat(path)).size, md5: md5.digest('base64'), crc32c: crcBytes.toString('base64') };
}

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as GCS reports it: big-endian, base64.
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32cUpdate(previous: number, data: Buffer): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
