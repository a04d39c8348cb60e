import type { Archive } from './archive.js';
import { type ArchiveFormat, formatOf } from './detectFormat.js';
import { type RandomAccessSource, readBytes } from './randomAccess.js';

/** Bytes read to tell the format: the first tar header, even behind a gzip header. */
const formatHeadBytes = 4096;

/**
 * The format of the archive a source holds, told from its first bytes; `undefined` for anything else.
 *
 * @param signal Ends the read early.
 */
export async function formatOfSource(source: RandomAccessSource, signal?: AbortSignal): Promise<ArchiveFormat | undefined> {
  return formatOf(await readBytes(source, 0, formatHeadBytes, signal));
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
