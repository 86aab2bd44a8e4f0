/*
 * Large scratch buffers for batches, reused rather than allocated per batch. V8 starts a full garbage
 * collection whenever about 64 MB of off-heap memory has been allocated since the last one; a log appending
 * 10^5 leaves a second would allocate that every second or so, and a full collection of a large heap costs
 * more than the batches themselves.
 */

const MAX_SPARE = 8;
const MAX_SPARE_BYTES = 64 * 1024 * 1024;
const spare: Buffer[] = [];

/** A buffer of at least `size` bytes (contents undefined), to be given back when no longer referenced. */
export function borrow(size: number): Buffer {
  let best = -1;
  for (let i = 0; i < spare.length; i++) {
    const length = (spare[i] as Buffer).length;
    if (length >= size && (best < 0 || length < (spare[best] as Buffer).length)) best = i;
  }
  if (best >= 0) return spare.splice(best, 1)[0] as Buffer;
  // Powers of two from 64 KB, so that buffers fit later requests.
  let length = 64 * 1024;
  while (length < size) length *= 2;
  return Buffer.allocUnsafeSlow(length);
}

/** Gives a borrowed buffer back: nothing may use it (or a slice of it) afterwards. */
export function giveBack(buffer: Buffer): void {
  if (spare.includes(buffer)) return;
  spare.push(buffer);
  // At most 8 buffers and 64 MB are kept: the smallest go first.
  let total = 0;
  for (const b of spare) total += b.length;
  while (spare.length > MAX_SPARE || total > MAX_SPARE_BYTES) {
    let smallest = 0;
    for (let i = 1; i < spare.length; i++)
      if ((spare[i] as Buffer).length < (spare[smallest] as Buffer).length) smallest = i;
    total -= (spare.splice(smallest, 1)[0] as Buffer).length;
  }
}
