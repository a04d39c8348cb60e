import { Observable } from 'rxjs';
import unzipper from 'unzipper';
import type { Entry, EntryBytes } from '../entry.js';
import { ArchiveError, describeError } from '../errors.js';
import { findEndOfCentralDirectory, scanCentralDirectory } from './centralDirectory.js';
import type { Archive } from './archive.js';
import { createLease } from './lease.js';
import { boundTo, type RandomAccessSource } from './randomAccess.js';
import { zipEntryBytes } from './zipEntryBytes.js';
import { type ZipRecord, zipEntryFields } from './zipEntryRecord.js';

/** The fields of `unzipper`'s central directory that unspool uses. */
interface ZipDirectory {
  /** The number of the disk holding the end record: 0 unless the archive is split. */
  diskNumber: number;
  files: ZipRecord[];
  offsetToStartOfCentralDirectory: number;
  sizeOfCentralDirectory: number;
}

/** Reads the central directory through unzipper, after finding its end record ourselves. */
async function openDirectory(source: RandomAccessSource, archive: string): Promise<{ directory: ZipDirectory; size: number }> {
  const size = await source.size();
  const end = await findEndOfCentralDirectory(source, size);
  if (end === undefined) throw new ArchiveError(archive, 'no end of central directory: the zip is truncated or not a zip');
  let directory: ZipDirectory;
  try {
    // Starting the tail at the record we found makes unzipper's forward search land on it.
    directory = (await unzipper.Open.custom(source, { tailSize: size - end })) as unknown as ZipDirectory;
  } catch (error) {
    throw new ArchiveError(archive, `unreadable central directory: ${describeError(error)}`, { cause: error });
  }
  if (directory.diskNumber !== 0) throw new ArchiveError(archive, `multi-disk zip archives are not supported (this is disk ${directory.diskNumber})`);
  // unzipper parses each record without checking its signature, and does not look at disk numbers.
  for (const record of directory.files) {
    if (record.signature !== 0x02014b50) {
      throw new ArchiveError(archive, `invalid central directory record signature 0x${record.signature.toString(16)}`);
    }
    if (record.diskNumber !== 0) throw new ArchiveError(archive, 'multi-disk zip archives are not supported');
  }
  return { directory, size };
}

/**
 * Opens a zip archive through its central directory with `unzipper`. The directory is read (and
 * fingerprinted) here, once; a directory that cannot be read is an {@link ArchiveError}.
 *
 * The archive's entries come in central-directory order. Each entry's bytes are opened on their
 * own (one ranged read from its local header on), so an entry can be read without reading any
 * before it: resuming costs nothing. The next entry is emitted only after the current one is
 * released, through the same {@link createLease} lease as the tar reader's. Names are decoded as
 * the zip says (UTF-8 flag, Info-ZIP Unicode Path extra field, else UTF-8 if valid, else CP437).
 * Problems of one entry (unsupported method, sizes missing, data past the end) travel with the
 * entry as `problem`, and that entry fails without stopping the others.
 *
 * @param source The archive's bytes (a local file, or any random-access source).
 * @param name The archive as the user named it, for messages.
 * @param signal Ends the reading of the central directory early.
 */
export async function openZip(source: RandomAccessSource, name: string, signal?: AbortSignal): Promise<Archive> {
  const opening = boundTo(source, signal);
  const { directory, size } = await openDirectory(opening, name);
  const scan = await scanCentralDirectory(opening, directory.offsetToStartOfCentralDirectory, directory.sizeOfCentralDirectory);
  return {
    name,
    format: 'zip',
    size,
    entryCount: directory.files.length,
    fingerprint: scan.fingerprint,
    entries: ({ skip = () => false, password } = {}) =>
      new Observable<Entry>((subscriber) => {
        let stopped = false;
        let releaseCurrent = () => {};
        const opened = new Set<EntryBytes>();
        (async () => {
          for (const [index, record] of directory.files.entries()) {
            if (stopped) return;
            if (skip(index)) continue;
            const fields = zipEntryFields(record, index, {
              archive: name,
              archiveSize: size,
              unicodeName: scan.unicodeNames.get(index),
              zip64Short: scan.zip64Short.has(index),
              password,
            });
            const lease = createLease();
            releaseCurrent = lease.release;
            subscriber.next({
              ...fields,
              open() {
                const bytes = zipEntryBytes(source, record, {
                  archive: name,
                  entry: fields.name,
                  password: fields.encrypted === 'password' ? password : undefined,
                });
                opened.add(bytes);
                return bytes;
              },
              release: lease.release,
            });
            await lease.released;
            for (const bytes of opened) bytes.destroy();
            opened.clear();
          }
          subscriber.complete();
        })().catch((error: unknown) => subscriber.error(new ArchiveError(name, describeError(error), { cause: error })));
        return () => {
          stopped = true;
          for (const bytes of opened) bytes.destroy();
          releaseCurrent();
        };
      }),
  };
}
