// How big an exported disk stream will be, before its end. vSphere sends a streamOptimized VMDK
// with no length: compressed grains, and nothing at all for unallocated or zero space, so the
// disk's capacity is only an upper bound. The stream itself tells how far it has come: every
// grain carries its position (LBA) in the virtual disk, and grains come in LBA order. Bytes so
// far over the share of the disk covered so far, extrapolated to the whole capacity, is an
// estimate that gets better as the download goes; before the first grains, the prior guess
// (capacity, or the VM's committed share of it) stands.

const SECTOR = 512;
const MAGIC = 0x564d444b; // "KDMV", little-endian
const FLAG_COMPRESSED = 1 << 16;
const FLAG_MARKERS = 1 << 17;
const MARKER_HEAD = 16;
const MARKER_EOS = 0;
/** The virtual share of the disk after which the stream's own ratio is trusted alone. */
const TRUST_AFTER = 0.1;

export class DiskSizeEstimate {
  readonly #prior: number;
  #capacity = 0;
  #grainSectors = 0;
  /** Absolute stream offset of the next marker; -1 until the header is parsed or when not parseable. */
  #next = -1;
  #offset = 0;
  #header = Buffer.alloc(0);
  #pending = Buffer.alloc(0);
  #parseable = true;
  /** Virtual bytes covered by the grains seen so far. */
  #covered = 0;
  #ended = false;

  /** `prior`: the guess before any byte is read (at most the capacity). */
  constructor(prior: number) {
    this.#prior = Math.max(1, Math.round(prior));
  }

  /** Starts over, for a download that begins again from the first byte. */
  reset(): void {
    this.#capacity = 0;
    this.#next = -1;
    this.#offset = 0;
    this.#header = Buffer.alloc(0);
    this.#pending = Buffer.alloc(0);
    this.#parseable = true;
    this.#covered = 0;
    this.#ended = false;
  }

  /** The current estimate of the whole stream's length in bytes (never below what was read). */
  get bytes(): number {
    const read = this.#offset;
    if (this.#ended) return read;
    if (this.#capacity === 0 || this.#covered === 0) return Math.max(read, this.#prior);
    const share = Math.min(1, this.#covered / this.#capacity);
    const observedRatio = read / this.#covered;
    const priorRatio = this.#prior / this.#capacity;
    const weight = Math.min(1, share / TRUST_AFTER);
    const ratio = weight * observedRatio + (1 - weight) * priorRatio;
    return Math.max(read, Math.round(read + (this.#capacity - Math.min(this.#covered, this.#capacity)) * ratio));
  }

  /** Reads the markers in `chunk` (the next bytes of the stream); never changes it. */
  observe(chunk: Buffer): void {
    const start = this.#offset;
    this.#offset += chunk.length;
    if (!this.#parseable || this.#ended) return;
    let at = 0;
    if (this.#next < 0) {
      const need = SECTOR - this.#header.length;
      this.#header = Buffer.concat([this.#header, chunk.subarray(0, need)]);
      if (this.#header.length < SECTOR) return;
      if (!this.#parseHeader()) return;
      at = 0;
    }
    while (this.#next < start + chunk.length && !this.#ended) {
      at = Math.max(at, this.#next - start);
      const wanted = MARKER_HEAD - this.#pending.length;
      const piece = chunk.subarray(at, at + wanted);
      this.#pending = this.#pending.length === 0 ? Buffer.from(piece) : Buffer.concat([this.#pending, piece]);
      if (this.#pending.length < MARKER_HEAD) return;
      this.#readMarker(this.#pending);
      this.#pending = Buffer.alloc(0);
    }
  }

  #parseHeader(): boolean {
    const header = this.#header;
    const flags = header.readUInt32LE(8);
    if (header.readUInt32LE(0) !== MAGIC || (flags & FLAG_COMPRESSED) === 0 || (flags & FLAG_MARKERS) === 0) {
      this.#parseable = false;
      return false;
    }
    this.#capacity = Number(header.readBigUInt64LE(12)) * SECTOR;
    this.#grainSectors = Number(header.readBigUInt64LE(20));
    this.#next = Number(header.readBigUInt64LE(64)) * SECTOR;
    return this.#capacity > 0 && this.#grainSectors > 0;
  }

  #readMarker(head: Buffer): void {
    const value = Number(head.readBigUInt64LE(0));
    const size = head.readUInt32LE(8);
    if (size > 0) {
      // A grain: its LBA, then `size` compressed bytes, padded to a sector.
      this.#covered = Math.max(this.#covered, (value + this.#grainSectors) * SECTOR);
      this.#next += Math.ceil((12 + size) / SECTOR) * SECTOR;
      return;
    }
    // Metadata: a marker sector, then `value` sectors (grain table, directory, footer).
    if (head.readUInt32LE(12) === MARKER_EOS) this.#ended = true;
    this.#next += SECTOR + value * SECTOR;
  }
}
