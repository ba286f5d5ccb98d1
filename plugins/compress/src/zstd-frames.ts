// Where each frame of a zstd file ends, found by walking the frame and block headers (RFC 8878,
// section 3.1) without decompressing. node:zlib's zstd decoder stops at the end of the first
// frame (nodejs/node#64741); with these boundaries the fallback decoder gives each frame a
// decoder of its own, so files of several frames (ours compressed on several threads, pzstd's,
// `cat a.zst b.zst`) restore without the binding too.

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames: magic 0x184D2A50 to 0x184D2A5F, a 4-byte size, then that many bytes. */
const SKIPPABLE_MAGIC = 0x184d2a50;

type HeaderStep = 'magic' | 'descriptor' | 'block header' | 'skippable size';

const HEADER_SIZES: Readonly<Record<HeaderStep, number>> = {
  magic: 4,
  descriptor: 1,
  'block header': 3,
  'skippable size': 4,
};

export class ZstdFrameScanner {
  #step: HeaderStep | 'skip' = 'magic';
  /** The bytes of the header being read, which may arrive split across chunks. */
  #header = Buffer.alloc(0);
  /** Bytes to pass over (header fields, block contents, checksum) before `#afterSkip`. */
  #skip = 0;
  #afterSkip: 'block header' | 'frame end' = 'frame end';
  #checksum = false;
  /** Bytes scanned so far, for error messages. */
  #offset = 0;

  /** True between frames: the input may end here and still be whole. */
  get atFrameBoundary(): boolean {
    return this.#step === 'magic' && this.#header.length === 0;
  }

  /** Bytes scanned so far. */
  get offset(): number {
    return this.#offset;
  }

  /**
   * The positions in `chunk` just after each frame that ends in it, in order. Skippable frames
   * count as frames (zstd decoders pass over them). Throws on bytes that are not zstd.
   */
  frameEnds(chunk: Buffer): number[] {
    const ends: number[] = [];
    let position = 0;
    for (;;) {
      if (this.#step === 'skip') {
        const take = Math.min(this.#skip, chunk.length - position);
        this.#skip -= take;
        position += take;
        this.#offset += take;
        if (this.#skip > 0) break;
        if (this.#afterSkip === 'frame end') {
          ends.push(position);
          this.#step = 'magic';
        } else {
          this.#step = 'block header';
        }
        continue;
      }
      if (position === chunk.length) break;
      const step = this.#step;
      const size = HEADER_SIZES[step];
      const take = Math.min(size - this.#header.length, chunk.length - position);
      this.#header = Buffer.concat([this.#header, chunk.subarray(position, position + take)]);
      position += take;
      this.#offset += take;
      if (this.#header.length < size) break;
      const header = this.#header;
      this.#header = Buffer.alloc(0);
      this.#read(step, header);
    }
    return ends;
  }

  #read(step: HeaderStep, header: Buffer): void {
    const at = this.#offset - header.length;
    switch (step) {
      case 'magic': {
        const magic = header.readUInt32LE(0);
        if (magic === ZSTD_MAGIC) this.#step = 'descriptor';
        else if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC) this.#step = 'skippable size';
        else
          throw new Error(
            `zstd: no frame starts at byte ${at} (found 0x${magic.toString(16).padStart(8, '0')}): the file is damaged or has data after its last frame`,
          );
        return;
      }
      case 'descriptor': {
        const descriptor = header[0]!;
        if (descriptor & 0x08) throw new Error(`zstd: the frame header at byte ${at} has its reserved bit set: the file is damaged`);
        const singleSegment = (descriptor >> 5) & 1;
        const contentSizeFlag = descriptor >> 6;
        const windowBytes = singleSegment ? 0 : 1;
        const dictionaryBytes = [0, 1, 2, 4][descriptor & 0x03]!;
        const contentSizeBytes = contentSizeFlag === 0 ? singleSegment : [0, 2, 4, 8][contentSizeFlag]!;
        this.#checksum = (descriptor & 0x04) !== 0;
        this.#skipThen(windowBytes + dictionaryBytes + contentSizeBytes, 'block header');
        return;
      }
      case 'block header': {
        const value = header.readUIntLE(0, 3);
        const last = (value & 1) === 1;
        const type = (value >> 1) & 0x03;
        if (type === 3) throw new Error(`zstd: the block header at byte ${at} has the reserved type: the file is damaged`);
        const contents = type === 1 ? 1 : value >>> 3; // an RLE block stores its one byte once
        this.#skipThen(contents + (last && this.#checksum ? 4 : 0), last ? 'frame end' : 'block header');
        return;
      }
      case 'skippable size':
        this.#skipThen(header.readUInt32LE(0), 'frame end');
        return;
    }
  }

  #skipThen(bytes: number, then: 'block header' | 'frame end'): void {
    this.#step = 'skip';
    this.#skip = bytes;
    this.#afterSkip = then;
  }
}
