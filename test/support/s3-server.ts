// A real S3-compatible server for the tests: s3rver (npm), in this process, on a loopback port with
// its own temporary directory and a bucket, behind a small HTTP front of ours.
//
// What s3rver (3.7.1) does and does not do, and what the front adds:
// - It stores objects, user metadata and multipart uploads (CreateMultipartUpload, UploadPart,
//   CompleteMultipartUpload) on disk, lists with ListObjectsV2 and its continuation tokens, and
//   answers NoSuchBucket / NoSuchKey like S3.
// - It checks that the access key ID exists (S3RVER is the only one: InvalidAccessKeyId
//   otherwise), but does not verify SigV4 signatures: a wrong secret key is accepted.
// - It has no AbortMultipartUpload (it answers MethodNotAllowed and keeps the parts) and no
//   ListMultipartUploads (NotImplemented). The front answers both from s3rver's own store: an
//   abort removes the upload's folder of parts (what S3 does with the parts), and the listing
//   reads those folders. `pendingUploads()` reads the same folders directly, so "no multipart
//   upload is left" is checked on the server's disk, not on anything the client says.
// - It ignores checksum headers (x-amz-checksum-*), server-side encryption and storage classes
//   (it keeps none of them); the front records every request's headers so tests can see what
//   was asked for.
// - It stores a streamed (aws-chunked) body with its chunk framing; the backend never sends one.
// - On Node 17 and later its ListObjectsV2 pagination fails (InternalError): it encrypts the
//   continuation token with single DES, which OpenSSL 3 only has in its legacy provider. The
//   support maps `des` to triple DES with the key repeated three times, which is the same cipher
//   (EDE with K1 = K2 = K3 is DES), so s3rver's own pagination runs unchanged.
// The front also injects faults on request: an S3 error answer (503 SlowDown…), a connection cut
// after some bytes, or the death of the whole server (every connection dropped, nothing listening).
import { escapeXml } from '@hyperexport/core';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, request as httpRequest, Agent } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type * as nodeCrypto from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';

export const S3RVER_ACCESS_KEY = 'S3RVER';
export const S3RVER_SECRET_KEY = 'S3RVER';
/** s3rver keeps the parts of upload ID X of bucket B in B/._S3rver_uploads/X/ (one file per part). */
const UPLOADS_FOLDER = '._S3rver_uploads';

export interface RecordedRequest {
  /** The S3 operation, from the method and the query (UploadPart, CompleteMultipartUpload…). */
  readonly operation: string;
  readonly method: string;
  /** Decoded path: /bucket/key. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Body bytes received from the client. */
  bodyBytes: number;
  status?: number;
}

/** What the front does with a request instead of passing it on. */
export type Fault =
  | { readonly kind: 'error'; readonly status: number; readonly code: string; readonly message?: string }
  | { readonly kind: 'cut'; readonly afterBytes: number }
  | { readonly kind: 'die'; readonly afterBytes: number }
  /** Passes the request on, then changes one header of the answer (a server that misreports). */
  | { readonly kind: 'answer-header'; readonly name: string; readonly value: string }
  /** Passes the request on and lets the server act on it, then cuts the connection instead of answering. */
  | { readonly kind: 'lose-answer' };

export interface S3TestServer {
  /** The endpoint clients use (the front). */
  readonly endpoint: string;
  readonly bucket: string;
  /** s3rver's store; give it to another server to look at what this one left. */
  readonly directory: string;
  /** An environment with s3rver's credentials, for StorageOpenContext.env. */
  readonly env: NodeJS.ProcessEnv;
  /** Every request the front received, in order. */
  readonly requests: RecordedRequest[];
  /** Decides, per request, whether to inject a fault. */
  faults: ((request: RecordedRequest) => Fault | undefined) | undefined;
  /** Multipart uploads with parts on s3rver's disk (started, neither completed nor aborted). */
  pendingUploads(): Promise<{ key: string; uploadId: string }[]>;
  /** Kills the server as a crash would: every connection dropped, nothing listening any more. */
  kill(): void;
  readonly dead: boolean;
  stop(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  readonly httpServer?: Server;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

export interface S3TestServerOptions {
  readonly bucket?: string;
  /** Reuse the store of an earlier (killed) server; it is then left in place on stop. */
  readonly directory?: string;
}

export async function startS3Server(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  const bucket = options.bucket ?? 'hyperexport-test';
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'hyperexport-s3rver-')));
  const require = createRequire(import.meta.url);
  offerSingleDes(require('node:crypto') as typeof nodeCrypto);
  const S3rver = require('s3rver') as S3rverConstructor;
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [{ name: bucket }] });
  const { port: s3rverPort } = await s3rver.run();
  const upstreamAgent = new Agent({ keepAlive: true });

  const requests: RecordedRequest[] = [];
  let dead = false;
  const front = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    const record: RecordedRequest = {
      operation: operationOf(req.method ?? 'GET', url),
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: req.headers,
      bodyBytes: 0,
    };
    requests.push(record);
    const fault = server.faults?.(record);
    if (fault?.kind === 'error') return answerError(req, res, record, fault.status, fault.code, fault.message ?? 'injected by the test server');
    if (record.operation === 'AbortMultipartUpload')
      return void abortUpload(req, res, record, directory).catch((error: unknown) => res.destroy(error as Error));
    if (record.operation === 'ListMultipartUploads')
      return void listUploads(req, res, record, directory).catch((error: unknown) => res.destroy(error as Error));
    forward(req, res, record, fault);
  });

  function forward(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, fault: Fault | undefined): void {
    const headers = { ...req.headers };
    delete headers.expect; // the front already said 100 Continue
    const upstream = httpRequest({ host: '127.0.0.1', port: s3rverPort, method: req.method, path: req.url, headers, agent: upstreamAgent }, (answer) => {
      record.status = answer.statusCode;
      if (fault?.kind === 'lose-answer') {
        answer.resume();
        answer.on('end', () => res.socket?.destroy());
        return;
      }
      const answerHeaders = { ...answer.headers };
      if (fault?.kind === 'answer-header') answerHeaders[fault.name] = fault.value;
      res.writeHead(answer.statusCode ?? 502, answerHeaders);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    // s3rver gone (killed): the client's connection drops, as it would with the real thing.
    upstream.on('error', () => req.socket.destroy());
    req.on('data', (chunk: Buffer) => {
      record.bodyBytes += chunk.length;
      if ((fault?.kind === 'cut' || fault?.kind === 'die') && record.bodyBytes >= fault.afterBytes) {
        if (fault.kind === 'die') server.kill();
        req.socket.destroy();
        upstream.destroy();
      }
    });
    req.pipe(upstream);
  }

  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const frontPort = (front.address() as AddressInfo).port;

  const server: S3TestServer = {
    endpoint: `http://127.0.0.1:${frontPort}`,
    bucket,
    directory,
    env: { AWS_ACCESS_KEY_ID: S3RVER_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: S3RVER_SECRET_KEY, AWS_EC2_METADATA_DISABLED: 'true' },
    requests,
    faults: undefined,
    pendingUploads: () => pendingUploads(directory, bucket),
    kill() {
      if (dead) return;
      dead = true;
      for (const http of [front, s3rver.httpServer]) {
        http?.close();
        http?.closeAllConnections();
      }
      upstreamAgent.destroy();
    },
    get dead() {
      return dead;
    },
    async stop() {
      server.kill();
      if (options.directory === undefined) await rm(directory, { recursive: true, force: true });
    },
  };
  return server;
}

/** See the header: single DES as triple DES with one key, for s3rver's continuation tokens. */
function offerSingleDes(crypto: typeof nodeCrypto): void {
  const original = crypto.createCipheriv as ((...args: unknown[]) => unknown) & { singleDes?: true };
  if (original.singleDes) return;
  const originalDecipher = crypto.createDecipheriv as (...args: unknown[]) => unknown;
  const tripled = (algorithm: unknown, key: unknown): [unknown, unknown] =>
    algorithm === 'des' && Buffer.isBuffer(key) && key.length === 8 ? ['des-ede3-cbc', Buffer.concat([key, key, key])] : [algorithm, key];
  const createCipheriv = (algorithm: unknown, key: unknown, ...rest: unknown[]) => original(...tripled(algorithm, key), ...rest);
  const createDecipheriv = (algorithm: unknown, key: unknown, ...rest: unknown[]) => originalDecipher(...tripled(algorithm, key), ...rest);
  Object.assign(crypto, { createCipheriv: Object.assign(createCipheriv, { singleDes: true as const }), createDecipheriv });
}

/** The S3 operation a request is, as far as the tests need to tell them apart. */
function operationOf(method: string, url: URL): string {
  const query = url.searchParams;
  const isBucket = url.pathname.split('/').filter(Boolean).length <= 1;
  switch (method) {
    case 'PUT':
      return query.has('uploadId') ? 'UploadPart' : isBucket ? 'CreateBucket' : 'PutObject';
    case 'POST':
      return query.has('uploads')
        ? 'CreateMultipartUpload'
        : query.has('uploadId')
          ? 'CompleteMultipartUpload'
          : query.has('delete')
            ? 'DeleteObjects'
            : 'PostObject';
    case 'DELETE':
      return query.has('uploadId') ? 'AbortMultipartUpload' : isBucket ? 'DeleteBucket' : 'DeleteObject';
    case 'HEAD':
      return isBucket ? 'HeadBucket' : 'HeadObject';
    default:
      if (isBucket) return query.has('uploads') ? 'ListMultipartUploads' : query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      return query.has('uploadId') ? 'ListParts' : 'GetObject';
  }
}

function answerError(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, status: number, code: string, message: string): void {
  record.status = status;
  const answer = () => {
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end(
      req.method === 'HEAD'
        ? undefined
        : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><RequestId>front</RequestId></Error>`,
    );
  };
  // Like S3, answer once the request is in (its body counted), so the client is not cut off mid-send.
  if (req.readableEnded) return answer();
  req.on('data', (chunk: Buffer) => (record.bodyBytes += chunk.length));
  req.on('end', answer);
  req.resume();
}

/** As s3rver does for its own operations: only its one access key is known. */
function knownAccessKey(req: IncomingMessage): boolean {
  return (req.headers.authorization ?? '').includes(`Credential=${S3RVER_ACCESS_KEY}/`);
}

async function abortUpload(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, directory: string): Promise<void> {
  await finished(req.resume());
  if (!knownAccessKey(req))
    return answerError(req, res, record, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  const [bucket = '', ...keyParts] = record.path.split('/').filter(Boolean);
  const uploadFolder = join(directory, bucket, UPLOADS_FOLDER, record.query.get('uploadId') ?? '');
  const key = await readFile(join(uploadFolder, 'key'), 'utf8').catch(() => undefined);
  if (key === undefined || key !== keyParts.join('/')) return answerError(req, res, record, 404, 'NoSuchUpload', 'The specified upload does not exist.');
  await rm(uploadFolder, { recursive: true, force: true });
  record.status = 204;
  res.writeHead(204);
  res.end();
}

async function listUploads(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, directory: string): Promise<void> {
  await finished(req.resume());
  if (!knownAccessKey(req))
    return answerError(req, res, record, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  const bucket = record.path.split('/').filter(Boolean)[0] ?? '';
  const prefix = record.query.get('prefix') ?? '';
  const uploads = (await pendingUploads(directory, bucket)).filter((upload) => upload.key.startsWith(prefix));
  const entries = await Promise.all(
    uploads.map(async ({ key, uploadId }) => {
      const initiated = (await stat(join(directory, bucket, UPLOADS_FOLDER, uploadId))).mtime.toISOString();
      return `<Upload><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId><Initiated>${initiated}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`;
    }),
  );
  record.status = 200;
  res.writeHead(200, { 'content-type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult><Bucket>${escapeXml(bucket)}</Bucket><Prefix>${escapeXml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${entries.join('')}</ListMultipartUploadsResult>`,
  );
}

async function pendingUploads(directory: string, bucket: string): Promise<{ key: string; uploadId: string }[]> {
  const folder = join(directory, bucket, UPLOADS_FOLDER);
  const ids = await readdir(folder).catch(() => [] as string[]);
  const uploads: { key: string; uploadId: string }[] = [];
  for (const uploadId of ids.sort()) {
    const key = await readFile(join(folder, uploadId, 'key'), 'utf8').catch(() => undefined);
    if (key !== undefined) uploads.push({ key, uploadId });
  }
  return uploads;
}
