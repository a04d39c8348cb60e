import { Readable } from 'node:stream';

/**
 * A decompressor as a pull: it reads `input` only as fast as its output is asked for, yields what
 * it decodes, and throws a {@link CutShortError} if `input` ends inside the compressed stream
 * (after yielding every byte it could decode before the cut), or any other error for corrupt data.
 * Returning it early (or throwing into it) frees what it holds.
 */
export type Decoder = (input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) => AsyncGenerator<Uint8Array, void, undefined>;

/** The compressed input ended inside a stream: a download cut short, a partly written file. */
export class CutShortError extends Error {
  override readonly name = 'CutShortError';
}

/** How much decoded output waits unread before the decoder stops pulling its input. */
const outputHighWater = 64 * 1024;

/**
 * The bytes `decode` makes of `source`, as a Node stream with real backpressure: the decoder is
 * resumed only when the reader asks for more, so neither it nor `source` reads ahead of a stopped
 * reader by more than a chunk. A cut-short input ends the stream quietly after its last decodable
 * byte, as gunzip without its end check does: the tar reader then tells a cut inside an entry from
 * one between entries. Any other decoder error, or an error of `source`, destroys the stream.
 * Destroying the stream destroys `source` and returns the decoder, so nothing is left pending.
 *
 * @param source The compressed bytes, from the start of the stream.
 * @param decode The format's decoder.
 */
export function decodedStream(source: Readable, decode: Decoder): Readable {
  const chunks = decode(source);
  let pulling = false;
  return new Readable({
    highWaterMark: outputHighWater,
    read() {
      if (pulling) return;
      pulling = true;
      void (async () => {
        try {
          for (;;) {
            const next = await chunks.next();
            if (next.done) {
              this.push(null);
              return;
            }
            if (!this.push(next.value)) return;
          }
        } catch (error) {
          if (error instanceof CutShortError) this.push(null);
          else this.destroy(error as Error);
        } finally {
          pulling = false;
        }
      })();
    },
    destroy(error, callback) {
      // Destroying the source first ends a decoder that waits on it, so that its return (queued
      // behind that wait) runs and frees what it holds.
      source.destroy();
      chunks.return(undefined).catch(() => {});
      callback(error);
    },
  });
}

/**
 * The first `bytes` bytes that `decode` makes of `head`, the start of a compressed stream, or
 * fewer if the stream ends first; `'cut'` if `head` ends before `bytes` bytes could be decoded
 * (a decoder that works in large blocks, as bzip2's, may need more than the head holds), and
 * `undefined` if `head` is not a stream of this format.
 */
export async function decodedHead(head: Uint8Array, bytes: number, decode: Decoder): Promise<Uint8Array | 'cut' | undefined> {
  const chunks = decode([head]);
  const decoded: Uint8Array[] = [];
  let length = 0;
  try {
    for await (const chunk of chunks) {
      decoded.push(chunk);
      length += chunk.length;
      if (length >= bytes) break;
    }
  } catch (error) {
    if (!(error instanceof CutShortError)) return undefined;
    if (length < bytes) return 'cut';
  }
  return Buffer.concat(decoded).subarray(0, bytes);
}
