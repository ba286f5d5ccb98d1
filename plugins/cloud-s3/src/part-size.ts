// How big each part of a multipart upload is. S3 allows at most 10,000 parts of 5 MiB to 5 GiB
// (the last may be smaller), and every part is held in memory until it is sent, so the part size
// is a trade between memory and the largest object that fits.
//
// When the size is known, one constant part size fits it (with headroom for a stream that runs
// longer than announced). When it is not — a disk streaming out of ESXi, compressed, encrypted —
// the parts grow with the bytes already sent: each part is the largest power of two not above
// 1/800 of what was sent, never below the configured size. Small objects keep small parts (little
// memory); a 100 GiB stream ends with 128 MiB parts, 1 TiB with 1 GiB parts, and 5 TiB still fits
// in 10,000 parts (about 8,500 from 8 MiB). A fixed part size would have to be chosen for the
// worst case up front: 525 MiB per part for 5 TiB, held `queueSize` times over for every upload.
// Powers of two also let the uploader reuse a finished part's buffer for the next one.

export const MiB = 1024 * 1024;
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;

/** Parts grow to 1/GROWTH_DIVISOR of the bytes sent so far (see above). */
const GROWTH_DIVISOR = 800;
/** With a known size, plan on this many parts, keeping the rest for a stream that runs over. */
const PLANNED_PARTS = 8_000;

export interface PartSizePlan {
  /** The smallest part size (the `partSizeMiB` option), at least 5 MiB. */
  readonly initial: number;
  /** The announced size of the stream, when known. */
  readonly expectedSize?: number | undefined;
}

/** Size of the next part, given the bytes already cut into parts before it. */
export function partSizeFor(sentBytes: number, plan: PartSizePlan): number {
  let floor = Math.max(MIN_PART_SIZE, plan.initial);
  if (plan.expectedSize !== undefined) {
    floor = Math.max(floor, Math.ceil(plan.expectedSize / PLANNED_PARTS / MiB) * MiB);
    // The announced size fits in constant parts; grow only if the stream runs past it.
    if (sentBytes < plan.expectedSize) return Math.min(MAX_PART_SIZE, floor);
  }
  const grown = sentBytes >= GROWTH_DIVISOR ? 2 ** Math.floor(Math.log2(sentBytes / GROWTH_DIVISOR)) : 0;
  return Math.min(MAX_PART_SIZE, Math.max(floor, grown));
}

/** The most bytes a stream can have before it runs out of parts (for messages and tests). */
export function largestStream(plan: PartSizePlan): number {
  let sent = 0;
  for (let part = 1; part <= MAX_PARTS; part++) sent += partSizeFor(sent, plan);
  return sent;
}
