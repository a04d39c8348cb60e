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
