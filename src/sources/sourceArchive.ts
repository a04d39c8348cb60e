import type { Archive } from './archive.js';
import { type ArchiveFormat, endsAsZip, formatOf } from './detectFormat.js';
import { boundTo, type RandomAccessSource, readBytes } from './randomAccess.js';

/** Bytes read to tell the format: the first tar header, even behind a gzip header. */
const formatHeadBytes = 4096;

/**
 * The format of the archive a source holds, told from its first bytes; `undefined` for anything
 * else. A source whose first bytes are none of them is still a zip if its end is a zip's (a
 * self-extracting zip: see {@link endsAsZip}), when `tail` allows reading its end.
 *
 * @param signal Ends the read early.
 * @param tail Whether the end may be read too. Default: true. A server without byte ranges would
 * send the whole file to reach its end: there it is false.
 */
export async function formatOfSource(source: RandomAccessSource, signal?: AbortSignal, tail = true): Promise<ArchiveFormat | undefined> {
  const format = await formatOf(await readBytes(source, 0, formatHeadBytes, signal));
  if (format !== undefined || !tail) return format;
  return (await endsAsZip(boundTo(source, signal))) ? 'zip' : undefined;
}

/**
 * Opens the archive a source holds with the reader of its format: a local file, an address, a
 * Telegram document. Each reader is loaded only when its format is met, so start-up and memory
 * stay small.
 *
 * @param source The archive's bytes.
 * @param name The archive as it may be shown.
 * @param format Its format, from {@link formatOfSource} or `detectFormat`.
 * @param signal Ends the opening's reads early (not the entries' reads, which end with their own).
 * @param password The password of an archive whose names are encrypted (7z, RAR).
 */
export async function openSourceArchive(source: RandomAccessSource, name: string, format: ArchiveFormat, signal?: AbortSignal, password?: string): Promise<Archive> {
  if (format === 'zip') return (await import('./zipArchive.js')).openZip(source, name, signal);
  if (format === '7z' || format === 'rar') return (await import('./sevenZip/openSevenZip.js')).openSevenZip(source, name, format, { signal, password });
  return (await import('./tarArchive.js')).openTarSource(source, name, format, signal);
}
