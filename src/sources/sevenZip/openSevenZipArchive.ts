import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { concat, throwError } from 'rxjs';
import { ArchiveBrokenError, ArchiveError, PasswordNeededError } from '../../errors.js';
import type { Archive } from '../archive.js';
import { dictionaryBytes, maxDictionaryBytes } from './sevenZipDictionary.js';
import { commonArgs, sevenZipEntries } from './sevenZipEntries.js';
import { parseSevenZipListing, type SevenZipListing } from './sevenZipListing.js';
import { collectSevenZip, type SevenZipVolume } from './sevenZipRun.js';

/** Options of `openSevenZip`, `openSevenZipVolumes` and {@link openSevenZipArchive}. */
export interface SevenZipOpenOptions {
  /** Ends the opening early. Default: none. */
  signal?: AbortSignal | undefined;
  /** The password, needed at once for an archive whose names are encrypted. Default: none. */
  password?: string | undefined;
}

/** The archive's structure, hashed: the same archive gives the same fingerprint on every run. */
function fingerprintOf(listing: SevenZipListing, size: number): string {
  const items = listing.items.map((item) => [item.name, item.size, item.crc32 ?? '', item.kind, item.method, item.encrypted]);
  return createHash('sha256').update(JSON.stringify([listing.archive, items, size])).digest('hex');
}

/** Refuses an archive whose dictionary 7-Zip's 2 GiB heap cannot hold, before anything is decoded. */
function checkMemory(listing: SevenZipListing, name: string): void {
  const needed = Math.max(dictionaryBytes(listing.archive['Method'] ?? ''), ...listing.items.map((item) => dictionaryBytes(item.method)));
  if (needed > maxDictionaryBytes) {
    const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;
    throw new ArchiveError(name, `its dictionary of ${mib(needed)} is too large to decode here (at most ${mib(maxDictionaryBytes)})`);
  }
}

/**
 * Lists a 7z or RAR archive with 7-Zip (`l -slt`) and opens it as an {@link Archive} whose
 * entries {@link sevenZipEntries} reads.
 *
 * @param volumes Its volumes, the first first (one for a plain archive).
 * @param name The archive as the user named it, for messages.
 * @param format `7z` or `rar`.
 * @param options `signal` ends the listing; `password` lists an archive whose names are encrypted.
 * @throws PasswordNeededError when its names are encrypted and no password, or a wrong one, is given.
 * @throws ArchiveError when 7-Zip cannot list it, or its dictionary is too large.
 */
export async function openSevenZipArchive(volumes: readonly SevenZipVolume[], name: string, format: '7z' | 'rar', options: SevenZipOpenOptions = {}): Promise<Archive> {
  const password = options.password || undefined;
  options.signal?.throwIfAborted();
  const result = await collectSevenZip({ volumes, args: ['l', '-slt', volumes[0]!.name, ...commonArgs(password)] }, options.signal);
  options.signal?.throwIfAborted();
  const said = [...result.lines, ...result.stdout.toString('utf8').split('\n')]
    .filter((line) => /error|wrong|missing|unexpected|cannot|can not|is not/i.test(line) && !/^(?:sub items errors|archives with errors|errors|warnings)\s*:/i.test(line))
    .map((line) => line.split(volumes[0]!.name).join(basename(name)));
  if (said.some((line) => /encrypted archive|wrong password/i.test(line))) throw new PasswordNeededError(name, password !== undefined);
  const missing = said.map((line) => /missing volume\s*:\s*(.+)$/i.exec(line)?.[1]).find(Boolean);
  if (missing) throw new ArchiveError(name, `a volume is missing: ${missing.trim()}`);
  // A listing that comes with errors (a RAR cut short or damaged) is still read: its entries
  // before the damage can be delivered, and 7-Zip fails the others when it reaches them.
  const parsed = parseSevenZipListing(result.stdout.toString('utf8'));
  const listing = result.code === 0 || result.code === 1 || (parsed && parsed.items.length > 0) ? parsed : undefined;
  if (!listing) {
    const words = said.length > 0 ? said.join('; ') : (result.error ?? `7-Zip ended with code ${result.code}`);
    throw new ArchiveError(name, `not a readable ${format} archive: ${words}${volumes.length > 1 || /\.(?:\d{3}|r\d\d|part\d+\.rar)$/i.test(volumes[0]!.name) ? ' (is a volume missing?)' : ''}`);
  }
  checkMemory(listing, name);
  const set = { name, format, volumes, listing, password };
  // Listed with errors, not mere warnings (exit code 2: a RAR cut short, damaged headers): what
  // comes after the last item listed is unknown, so once the items listed are read the rest of
  // the archive is reported lost, never silently left out. A 7z cannot be listed at all without
  // its end (its index is there).
  const damage = result.code === 0 || result.code === 1 ? [] : said.filter((line) => !/^(?:error|errors)\s*:?\s*$/i.test(line.trim()));
  const lost = () => throwError(() => new ArchiveBrokenError(name, listing.items.length, `7-Zip could list only ${listing.items.length} entries: ${damage.join('; ')}`));
  const size = volumes.reduce((total, volume) => total + volume.size, 0);
  return {
    name,
    format,
    size,
    entryCount: listing.items.length,
    fingerprint: fingerprintOf(listing, size),
    entries: (config = {}) => (damage.length > 0 ? concat(sevenZipEntries(set, config), lost()) : sevenZipEntries(set, config)),
  };
}
