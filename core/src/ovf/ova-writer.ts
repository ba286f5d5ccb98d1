// Writes an OVA as one stream: for each member a ustar header, the body, padding to 512 bytes,
// then the two end blocks. The generator behind it only produces the next chunk when the
// consumer asks for one, so a slow sink slows the reads down instead of filling memory.
import { Readable } from 'node:stream';
import { assertSafeFileName } from './safe-name.ts';
import { encodeTarHeader, endOfArchive, paddingSize } from './tar.ts';

/** One file of the OVA. `size` must be exact: the header carrying it is written before the body. */
export interface OvaMemberSource {
  readonly name: string;
  readonly size: number;
  open(): Promise<Readable>;
}

/** One ustar block per member: names are plain and short, so no long-name member precedes it. */
const HEADER_SIZE = 512;

/** The exact length of the OVA that createOvaStream writes for members of these sizes. */
export function ovaSize(memberSizes: Iterable<number>): number {
  let total = endOfArchive().length;
  for (const size of memberSizes) total += HEADER_SIZE + size + paddingSize(size);
  return total;
}

/**
 * Returns the OVA as a byte stream. Members are written in the order given (the .ovf first, then
 * the .mf, then the files in References order). The stream fails with a clear error when a
 * member's body is longer or shorter than its declared size, since the archive would be corrupt.
 */
export function createOvaStream(members: Iterable<OvaMemberSource> | AsyncIterable<OvaMemberSource>, signal?: AbortSignal): Readable {
  return Readable.from(generateOva(members, signal), { objectMode: false, ...(signal ? { signal } : {}) });
}

async function* generateOva(members: Iterable<OvaMemberSource> | AsyncIterable<OvaMemberSource>, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  const seen = new Set<string>();
  for await (const member of members) {
    signal?.throwIfAborted();
    assertSafeFileName(member.name, 'OVA member');
    if (seen.has(member.name)) throw new Error(`OVA member ${JSON.stringify(member.name)} is listed twice`);
    seen.add(member.name);

    yield encodeTarHeader({ name: member.name, size: member.size });
    const body = await member.open();
    let written = 0;
    // Leaving this loop early (error, abort, consumer gone) destroys `body` and closes its file.
    for await (const chunk of body as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      written += bytes.length;
      if (written > member.size) {
        throw new Error(
          `OVA member ${JSON.stringify(member.name)} is longer than its declared size of ${member.size} bytes (got at least ${written}); the file changed while it was read, or the size given was wrong`,
        );
      }
      yield bytes;
    }
    if (written !== member.size) {
      throw new Error(
        `OVA member ${JSON.stringify(member.name)} ended after ${written} of its declared ${member.size} bytes; the file changed while it was read, or the size given was wrong`,
      );
    }
    const pad = paddingSize(member.size);
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield endOfArchive();
}
