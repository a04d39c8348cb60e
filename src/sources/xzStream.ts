import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CutShortError, type Decoder } from './decodedStream.js';

/** What xz-embedded's `xz_dec_catrun` answers, past `XZ_OK` (0) and `XZ_STREAM_END` (1). */
const xzErrors: Record<number, string> = {
  2: 'it uses an integrity check that cannot be verified here',
  3: 'out of memory',
  4: 'its dictionary is larger than 64 MiB',
  5: 'not an xz stream',
  6: 'it uses options this reader does not support',
  7: 'the xz data is corrupt',
  8: 'the xz data is corrupt',
};

/**
 * The part of the WebAssembly API used here, which Node has and this project's type libraries
 * (ES2023 and Node's, without the DOM's) do not declare.
 */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The exports of xz-decompress's WebAssembly build of xz-embedded (`create_context` and the rest). */
interface XzExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  create_context(): number;
  destroy_context(context: number): void;
  supply_input(context: number, length: number): void;
  get_next_output(context: number): number;
}

let xzModule: object | undefined;

/**
 * xz-decompress's WebAssembly module, compiled once. Its `XzReadableStream` shares one instance
 * between all streams behind a lock, so a second xz archive (another job, or the format check of
 * one) would wait for the first to end; each stream here gets an instance of its own instead. The
 * package embeds the module as a data URL in its bundle, which is read from there.
 */
function compiledXz(): object {
  if (!xzModule) {
    const bundle = readFileSync(createRequire(import.meta.url).resolve('xz-decompress'), 'latin1');
    const base64 = /data:application\/wasm;base64,([A-Za-z0-9+/=]+)/.exec(bundle)?.[1];
    if (!base64) throw new Error('xz-decompress no longer embeds its WebAssembly module where it used to');
    xzModule = new wasm.Module(Buffer.from(base64, 'base64'));
  }
  return xzModule;
}

/**
 * One xz decoder: an xz-embedded context (dictionaries up to 64 MiB, concatenated streams and
 * stream padding) in an instance of its own, with its 64 KiB input and output buffers. The layout
 * of the context's first words is xz-decompress's: buffer size, input start, input position,
 * input size, output start, output position.
 */
class XzContext {
  private readonly exports = new wasm.Instance(compiledXz(), {}).exports as unknown as XzExports;
  private readonly context = this.exports.create_context();
  readonly bufferSize = this.words()[0]!;

  private words(): Uint32Array {
    return new Uint32Array(this.exports.memory.buffer, this.context, 6);
  }

  /** Hands the decoder its next input; an empty one says the input has ended. */
  supply(input: Uint8Array): void {
    new Uint8Array(this.exports.memory.buffer, this.words()[1]!, input.length).set(input);
    this.exports.supply_input(this.context, input.length);
  }

  /** Decodes until the output buffer is full or the input is used up; `true` at the end of the last stream. */
  run(): boolean {
    const code = this.exports.get_next_output(this.context);
    if (code > 1) throw new Error(xzErrors[code] ?? `xz-embedded error ${code}`);
    return code === 1;
  }

  /** A copy of what the last run decoded, emptying the output buffer. */
  takeOutput(): Buffer {
    const words = this.words();
    const output = Buffer.from(new Uint8Array(this.exports.memory.buffer, words[4]!, words[5]!));
    words[5] = 0;
    return output;
  }

  /** Whether the decoder has used up its input and has room for more output. */
  wantsInput(): boolean {
    const words = this.words();
    return words[2] === words[3] && words[5]! < this.bufferSize;
  }

  dispose(): void {
    this.exports.destroy_context(this.context);
  }
}

/**
 * Decodes an xz file (one stream or several concatenated, with stream padding), checking each
 * block's integrity check (CRC-32 or CRC-64; SHA-256 is refused). The input is handed over in
 * slices of the decoder's buffer, and output leaves in chunks of at most 64 KiB, so memory stays
 * at the dictionary plus a few buffers.
 */
export const decodeXz: Decoder = async function* decodeXz(input) {
  const xz = new XzContext();
  try {
    for await (const chunk of input) {
      for (let at = 0; at < chunk.length; at += xz.bufferSize) {
        xz.supply(chunk.subarray(at, at + xz.bufferSize));
        do {
          xz.run();
          const output = xz.takeOutput();
          if (output.length > 0) yield output;
        } while (!xz.wantsInput());
      }
    }
    // An empty input says the input has ended: the decoder now errs if it is inside a stream.
    xz.supply(new Uint8Array(0));
    for (;;) {
      let ended: boolean;
      try {
        ended = xz.run();
      } catch (error) {
        throw new CutShortError('the xz stream is cut short', { cause: error });
      }
      const output = xz.takeOutput();
      if (output.length > 0) yield output;
      if (ended) return;
      // At the end of the input, a run that decodes nothing more will never end the stream.
      if (output.length === 0) throw new CutShortError('the xz stream is cut short');
    }
  } finally {
    xz.dispose();
  }
};
