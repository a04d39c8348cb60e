import type { Readable } from 'node:stream';

/** A tar archive ends with two 512-byte blocks of zeros. */
const endMarkerBytes = 1024;

/**
 * Watches the uncompressed bytes of a tar stream for its end-of-archive marker (two zero blocks),
 * so that a stream cut short exactly between two entries is told from a whole one: gunzip is run
 * without its end-of-stream check (so that a cut does not throw away what was decompressed before
 * it), and tar-stream itself only notices a cut inside an entry.
 *
 * @param stream The uncompressed tar bytes, as they flow to the tar reader.
 * @return `complete()`: whether the bytes seen so far end with the marker.
 */
export function watchTarEnd(stream: Readable): { complete(): boolean } {
  let trailingZeros = 0;
  stream.on('data', (chunk: Buffer) => {
    let at = chunk.length - 1;
    while (at >= 0 && chunk[at] === 0) at--;
    trailingZeros = at < 0 ? trailingZeros + chunk.length : chunk.length - 1 - at;
  });
  return { complete: () => trailingZeros >= endMarkerBytes };
}
