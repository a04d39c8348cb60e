import { Observable } from 'rxjs';
import type { Entry, EntryBytes } from '../../entry.js';
import { ArchiveBrokenError, describeError, EntryError, TruncatedError } from '../../errors.js';
import { mediaTypeOf } from '../../mediaType.js';
import type { EntriesConfig } from '../archive.js';
import { createLease } from '../lease.js';
import type { SevenZipItem, SevenZipListing } from './sevenZipListing.js';
import { SevenZipPass } from './sevenZipPass.js';
import { runSevenZip, type SevenZipVolume } from './sevenZipRun.js';
import { unsupportedMethod } from './sevenZipMethods.js';

/** What {@link sevenZipEntries} reads: an archive opened and listed by `openSevenZipArchive`. */
export interface SevenZipSet {
  /** The archive as the user named it, for messages. */
  readonly name: string;
  readonly format: '7z' | 'rar';
  /** Its volumes, the first first. */
  readonly volumes: readonly SevenZipVolume[];
  readonly listing: SevenZipListing;
  /** The password the archive was listed with (its names encrypted). */
  readonly password?: string | undefined;
}

/** 7-Zip's options for every run: no prompt, nothing but data on stdout, names in UTF-8. */
export function commonArgs(password: string | undefined): string[] {
  return [`-p${password ?? ''}`, '-y', '-bsp0', '-sccUTF-8', '-scsUTF-8'];
}

/** Whether 7-Zip will give bytes for an item: a file with bytes that can be decoded. */
function hasBytes(item: SevenZipItem, format: '7z' | 'rar', password: string | undefined): boolean {
  return item.kind === 'file' && item.size > 0 && !(item.encrypted && password === undefined) && unsupportedMethod(item.method, format) === undefined;
}

/**
 * Whether `item` can be picked out by name from a list file: 7-Zip selects by path, so a name
 * another item shares, or a folder's name with items under it, selects more than one; and a list
 * file holds one name a line, trimmed.
 */
function selectable(item: SevenZipItem, names: ReadonlyMap<string, number>): boolean {
  return names.get(item.name) === 1 && !/[\r\n]|^\s|\s$/.test(item.name);
}

/**
 * Bytes that end with an error once the item is out, if 7-Zip reported one.
 *
 * @param lend Lend each chunk (`reuseChunks`): a view of 7-Zip's output, valid until the next.
 */
function checked(pass: SevenZipPass, item: SevenZipItem, archive: string, lend: boolean): EntryBytes {
  let stopped = false;
  async function* read(): AsyncGenerator<Uint8Array> {
    let got = 0;
    for await (const chunk of pass.bytes(item, lend)) {
      if (stopped) return;
      got += chunk.length;
      yield chunk;
    }
    const failure = pass.failureOf(item);
    if (failure) throw new EntryError(archive, item.name, failure.reason, failure.detail);
    if (got < item.size && pass.ended) throw new TruncatedError(`7-Zip gave ${got} of its ${item.size} bytes: ${pass.lastWords}`);
  }
  const iterator = read();
  return {
    [Symbol.asyncIterator]: () => iterator,
    destroy() {
      // What is left of the item is dropped by the next seek; a chunk under way is not waited for.
      stopped = true;
    },
  };
}

/** Bytes of an entry that has none to read (a folder, an empty or unreadable file). */
const noBytes: EntryBytes = { async *[Symbol.asyncIterator]() {}, destroy() {} };

/**
 * The entries of a 7z or RAR archive, in the listing's order, one at a time: the next is emitted
 * only after the current one is released (what it left unread is dropped from 7-Zip's output).
 *
 * One `x -so` pass of 7-Zip per subscription gives the bytes of every wanted file: when all of
 * them are wanted, or some cannot be named alone, it extracts everything and the unwanted bytes
 * are dropped as they come; otherwise only the wanted files are named (a list file), so that 7-Zip
 * skips the others — a non-solid archive resumed at 90 % does not decode its first 90 %, while a
 * solid block is decoded from its start up to the last file wanted in it (what 7-Zip must do).
 * Folders, empty files, files encrypted without a password given and methods 7-Zip cannot decode
 * (`unsupportedMethod`) come from the listing alone, for `materialise` to skip.
 *
 * A pass that ends before a wanted file is reached breaks the archive there
 * ({@link ArchiveBrokenError}); a file that 7-Zip reports (`CRC Failed`, `Data Error`, `Wrong
 * password?`) fails alone, with its CRC-32 checked by `materialise` as well.
 */
export function sevenZipEntries(set: SevenZipSet, { skip = () => false, password: given }: EntriesConfig): Observable<Entry> {
  // An empty password is none; the one the names were listed with serves for the files too.
  const password = given || set.password || undefined;
  return new Observable<Entry>((subscriber) => {
    const { items } = set.listing;
    const solid = set.listing.archive['Solid'] === '+';
    const wanted = items.filter((item) => !skip(item.index));
    const needed = wanted.filter((item) => hasBytes(item, set.format, password));
    const names = new Map<string, number>();
    for (const item of items) names.set(item.name, (names.get(item.name) ?? 0) + 1);
    for (const item of items) {
      // A file under a folder is selected with its folder: the folder's name is not unique.
      for (let at = item.name.lastIndexOf('/'); at > 0; at = item.name.lastIndexOf('/', at - 1)) {
        const folder = item.name.slice(0, at);
        if (names.has(folder)) names.set(folder, (names.get(folder) ?? 0) + 1);
      }
    }
    const everything = needed.length === items.filter((item) => hasBytes(item, set.format, password)).length || !needed.every((item) => selectable(item, names));
    let pass: SevenZipPass | undefined;
    if (needed.length > 0) {
      const run = runSevenZip({
        volumes: set.volumes,
        args: ['x', '-so', set.volumes[0]!.name, ...commonArgs(password), '-bso2', '-bse2', '-bb3', ...(everything ? [] : ['-spd', '@/unspool-list.txt'])],
        list: everything ? undefined : needed.map((item) => item.name),
      });
      pass = new SevenZipPass(run, everything ? items : needed);
    }
    let releaseCurrent = () => {};
    let at = 0;
    (async () => {
      for (const item of wanted) {
        if (subscriber.closed) return;
        at = item.index;
        const readable = pass !== undefined && hasBytes(item, set.format, password);
        const unsupported = item.kind === 'file' ? unsupportedMethod(item.method, set.format) : undefined;
        let problem = unsupported === undefined ? undefined : `compressed with ${unsupported}, which 7-Zip cannot decode`;
        if (readable) {
          const found = await pass!.seek(item);
          if (subscriber.closed) return;
          if (found === 'ended') throw new ArchiveBrokenError(set.name, item.index, `7-Zip stopped before ${item.name}: ${pass!.lastWords}`);
          if (found === 'missed') problem = '7-Zip went past it without extracting it';
        }
        const lease = createLease();
        releaseCurrent = lease.release;
        const entry: Entry = {
          archive: set.name,
          index: item.index,
          name: item.name,
          size: item.size,
          kind: item.kind,
          media: mediaTypeOf(item.name),
          ...(!solid && item.packedSize && { compressedSize: item.packedSize }),
          ...(item.crc32 !== undefined && { crc32: item.crc32 }),
          encrypted: item.encrypted ? (password === undefined ? 'no-password' : 'password') : false,
          ...(unsupported !== undefined && { unsupportedMethod: unsupported }),
          ...(problem !== undefined && { problem }),
          open: (config) => (readable && problem === undefined ? checked(pass!, item, set.name, config?.reuseChunks === true) : noBytes),
          release: lease.release,
        };
        subscriber.next(entry);
        await lease.released;
      }
      await pass?.stop();
      subscriber.complete();
    })().catch((error: unknown) => {
      void pass?.stop();
      subscriber.error(error instanceof ArchiveBrokenError ? error : new ArchiveBrokenError(set.name, at, describeError(error), { cause: error }));
    });
    return () => {
      releaseCurrent();
      void pass?.stop();
    };
  });
}
