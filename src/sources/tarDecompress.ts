import type { Readable } from 'node:stream';
import { constants, createGunzip } from 'node:zlib';

/** A tar archive's format: plain, or the compression around it. */
export type TarFormat = 'tar' | 'tar.gz' | 'tar.xz' | 'tar.bz2' | 'tar.zst';

/** Output buffer of gunzip: 4× zlib's 16 KiB default, for fewer writes (64 KiB: larger ones cost RSS). */
const gunzipChunk = 64 * 1024;

/**
 * The tar bytes inside a compressed tar stream, decompressed as they are read; a plain tar as it is.
 * An error of the decompressor or of `source` destroys the stream; destroying it destroys `source`.
 *
 * @param source The archive's bytes, from its start.
 * @param format Which compression is around the tar.
 */
export function decompressed(source: Readable, format: TarFormat): Readable {
  if (format === 'tar') return source;
  if (format !== 'tar.gz') throw new Error(`${format} is not supported yet`);
  // Gunzip without its end-of-stream check: a cut-short download then yields every byte before
  // the cut (the check would discard what was decompressed and not yet read); the tar reader
  // notices a cut inside an entry, and the end marker one between entries.
  const tarBytes = source.pipe(createGunzip({ chunkSize: gunzipChunk, finishFlush: constants.Z_SYNC_FLUSH }));
  source.on('error', (error) => tarBytes.destroy(error));
  tarBytes.on('close', () => source.destroy());
  return tarBytes;
}
