import type { Archive } from '../archive.js';
import type { RandomAccessSource } from '../randomAccess.js';
import { openSevenZipArchive, type SevenZipOpenOptions } from './openSevenZipArchive.js';

export type { SevenZipOpenOptions };


/**
 * Opens a 7z or RAR archive from any source (a local file, an address read over byte ranges, a
 * Telegram document) with 7-Zip compiled to WebAssembly, which reads it in place: 7-Zip's reads
 * are served from `source` by the main thread, nothing is copied to disk. See
 * `openSevenZipArchive` for the listing and `sevenZipEntries` for the entries.
 *
 * @param source The archive's bytes.
 * @param name The archive as the user named it, for messages.
 * @param format `7z` or `rar`, from its first bytes.
 * @param options `signal` ends the opening early; `password` lists an archive whose names are encrypted.
 * @throws PasswordNeededError when its names are encrypted and no password, or a wrong one, is given.
 * @throws ArchiveError when it cannot be listed (a volume of a set, cut short, corrupt headers).
 */
export async function openSevenZip(source: RandomAccessSource, name: string, format: '7z' | 'rar', options: SevenZipOpenOptions = {}): Promise<Archive> {
  const size = await source.size();
  // 7-Zip tells the format by the bytes; the name only matters for finding further volumes,
  // which a lone source does not have.
  return openSevenZipArchive([{ name: `archive.${format}`, size, source }], name, format, options);
}
