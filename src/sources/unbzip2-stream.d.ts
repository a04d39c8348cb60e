// The part of unbzip2-stream's API that unspool uses (it ships no types of its own).
declare module 'unbzip2-stream' {
  import type { Stream } from 'node:stream';
  /**
   * A BZip2 decompressor as a `through` stream (the old kind): `write` compressed chunks, `end`,
   * and it emits `data` with each decoded block, then `end`; corrupt or cut-short input is an
   * `error` event.
   */
  interface Bzip2Stream extends Stream {
    write(chunk: Uint8Array): boolean;
    end(): void;
    destroy(): void;
  }
  function unbzip2Stream(): Bzip2Stream;
  export default unbzip2Stream;
}

// unbzip2-stream's block decoder itself, driven block by block by `bzip2Stream.ts`.
declare module 'unbzip2-stream/lib/bzip2.js' {
  /**
   * Reads `n` bits, most significant first, as a number (32 bits come back signed); `null` skips
   * to the next byte boundary.
   */
  type Bits = (n: number | null) => number;
  const bzip2: {
    /** Reads a stream header `BZh1`…`BZh9` and answers its block size in 100 kB; throws if there is none. */
    header(bits: Bits): number;
    /**
     * Decodes the next block into `write`, one byte a call, and checks its CRC; answers the
     * stream's running CRC, or `null` at the end-of-stream marker (whose CRC it checks against
     * `streamCrc`). Throws on corrupt data.
     */
    decompress(bits: Bits, write: (byte: number) => void, buffer: Int32Array, bufferSize: number, streamCrc: number): number | null;
  };
  export default bzip2;
}
