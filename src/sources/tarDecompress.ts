import type { Readable } from 'node:stream';
import { constants, createGunzip } from 'node:zlib';
import { decodeBzip2 } from './bzip2Stream.js';
import { type Decoder, decodedStream } from './decodedStream.js';
import { decodeXz } from './xzStream.js';
import { decodeZstd } from './zstdStream.js';

/** A tar archive's format: plain, or the compression around it. */
export type TarFormat = 'tar' | 'tar.gz' | 'tar.xz' | 'tar.bz2' | 'tar.zst';

/** Output buffer of gunzip: 4× zlib's 16 KiB default, for fewer writes (64 KiB: larger ones cost RSS). */
const gunzipChunk = 64 * 1024;

/** The decoder of each compression but gzip's, which Node's zlib has. */
export const decoders: Record<Exclude<TarFormat, 'tar' | 'tar.gz'>, Decoder> = {
  'tar.xz': decodeXz,
  'tar.bz2': decodeBzip2,
  'tar.zst': decodeZstd,
};

/**
 * The tar bytes inside a compressed tar stream, decompressed as they are read; a plain tar as it is.
 * An error of the decompressor or of `source` destroys the stream; destroying it destroys `source`.
 *
 * @param source The archive's bytes, from its start.
 * @param format Which compression is around the tar.
 */
export function decompressed(source: Readable, format: TarFormat): Readable {
  if (format === 'tar') return source;
  // xz, bzip2 and zstd are pulled as the tar reader reads, and end quietly where a cut-short input
  // ends, as gunzip does below.
  if (format !== 'tar.gz') return decodedStream(source, decoders[format]);
  // Gunzip without its end-of-stream check: a cut-short download then yields every byte before
  // the cut (the check would discard what was decompressed and not yet read); the tar reader
  // notices a cut inside an entry, and the end marker one between entries.
  const tarBytes = source.pipe(createGunzip({ chunkSize: gunzipChunk, finishFlush: constants.Z_SYNC_FLUSH }));
  source.on('error', (error) => tarBytes.destroy(error));
  tarBytes.on('close', () => source.destroy());
  return tarBytes;
}
