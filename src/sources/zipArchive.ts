import { Observable } from 'rxjs';
import unzipper from 'unzipper';
import type { Entry, EntryBytes } from '../entry.js';
import { ArchiveError, describeError } from '../errors.js';
import { cachedRange } from './cachedRange.js';
import { type CentralDirectoryScan, endSearchLength, scanCentralDirectory } from './centralDirectory.js';
import type { Archive } from './archive.js';
import { createLease } from './lease.js';
import { failingOnMissingVolume, MissingVolumeError } from './missingVolume.js';
import { boundTo, type PositionedReader, type RandomAccessSource } from './randomAccess.js';
import { zipDirectoryView, zipDirectoryViewTail } from './zipDirectoryView.js';
import { zipEntryBytes } from './zipEntryBytes.js';
import { placeCentralDirectory, readZipEnd, type ZipEnd } from './zipEndRecord.js';
import { type ZipRecord, zipEntryFields } from './zipEntryRecord.js';

/** The fields of `unzipper`'s central directory that unspool uses. */
interface ZipDirectory {
  files: ZipRecord[];
}

/** What {@link openDirectory} finds: the records, with their offsets placed in the source, and the scan of their bytes. */
interface OpenedDirectory {
  /** The records, each `offsetToLocalFileHeader` where its local header is in the source. */
  readonly files: readonly ZipRecord[];
  /** The fingerprint and the extra fields that unzipper does not keep. */
  readonly scan: CentralDirectoryScan;
  /** The source's size in bytes. */
  readonly size: number;
}

/**
 * The largest central directory held in memory while a zip opens: about 64,000 entries at 1 KB
 * each. A larger one is streamed, once for unzipper and once for the scan, so that an end record
 * that claims gigabytes cannot claim as much memory.
 */
const heldDirectoryLimit = 64 * 1024 * 1024;

/**
 * One {@link PositionedReader} of `source` for all the entries of a reading, opened when the first
 * asks for it (a local file's descriptor, rather than one per entry): `open` is `undefined` for a
 * source that has none. `close` lets it go once the reads under way are over; it may be called
 * again, and `open` answers `undefined` after it, so that an entry opened once the reading has
 * ended (after `firstValueFrom`, say) streams its bytes as it would from any source.
 */
function sharedReader(source: RandomAccessSource): { open: (() => Promise<PositionedReader | undefined>) | undefined; close: () => Promise<void> } {
  let opening: Promise<PositionedReader> | undefined;
  let closed = false;
  const openReader = source.openReader?.bind(source);
  return {
    open: openReader && (() => (closed ? Promise.resolve(undefined) : (opening ??= openReader()))),
    async close() {
      closed = true;
      await opening?.then((reader) => reader.close()).catch(() => {});
    },
  };
}

/** Why a zip that is one file cannot be read when it says it is a disk of a set: what to name instead. */
function multiDisk(end: ZipEnd): string {
  const which = end.lastDisk > 0 ? `the last of the ${end.lastDisk + 1} volumes` : 'a volume';
  return `multi-disk zip: this file is ${which} of a split zip (x.z01, x.z02, …, x.zip); put them all in one folder and name any one of them`;
}

/**
 * Reads the central directory: finds the end records and the directory ourselves (see
 * {@link placeCentralDirectory}), has unzipper parse the directory alone (see
 * {@link zipDirectoryView}), scans it (see {@link scanCentralDirectory}), and places each record's
 * local header in the source: on its disk (`diskStarts`), shifted by the bytes before the zip.
 *
 * Every read of the source may be a round trip (an HTTP range request), so the opening reads
 * through a {@link cachedRange}: the tail searched for the end record is read once and answers the
 * end records and, for a directory that lies in it, the directory too; a directory that starts
 * before it is read once more, from its start to the tail. unzipper's parse and the scan then read
 * it from memory.
 */
async function openDirectory(source: RandomAccessSource, archive: string, diskStarts: readonly number[]): Promise<OpenedDirectory> {
  const size = await source.size();
  const opening = cachedRange(source, size);
  const tail = Math.max(0, size - endSearchLength);
  const end = await opening
    .hold(tail, size - tail)
    .then(() => readZipEnd(opening, size, (disk) => diskStarts[disk] ?? 0))
    .catch((error: unknown) => {
      throw new ArchiveError(archive, describeError(error), { cause: error });
    });
  if (end === undefined) throw new ArchiveError(archive, 'no end of central directory: the zip is truncated or not a zip');
  if (diskStarts.length === 1 && (end.lastDisk !== 0 || end.directoryDisk !== 0)) throw new ArchiveError(archive, multiDisk(end));
  const diskStart = diskStarts[end.directoryDisk];
  if (diskStart === undefined) throw new ArchiveError(archive, `its central directory is on disk ${end.directoryDisk + 1}, past the set's ${diskStarts.length} volumes`);
  const unreadable = (error: unknown) =>
    error instanceof MissingVolumeError ? error : new ArchiveError(archive, `unreadable central directory: ${describeError(error)}`, { cause: error });
  const holdDirectory = async (at: number) => {
    if (at < 0 || end.directorySize > heldDirectoryLimit) return;
    try {
      await opening.hold(at, end.directorySize);
    } catch (error) {
      throw unreadable(error);
    }
  };
  // Held before it is placed: the directory is right before the end records in every zip but
  // one with bytes between them, so its first signature is then read from memory too.
  await holdDirectory(end.directoryEnd - end.directorySize);
  const place = await placeCentralDirectory(opening, end, diskStart);
  if (place.found) await holdDirectory(place.start);
  let directory: ZipDirectory;
  try {
    const view = zipDirectoryView(opening, place.start, end.directorySize, end.entryCount);
    directory = (await unzipper.Open.custom(view, { tailSize: zipDirectoryViewTail })) as unknown as ZipDirectory;
  } catch (error) {
    throw unreadable(error);
  }
  // unzipper parses each record without checking its signature, and does not look at disk numbers.
  const files = directory.files.map((record, index) => {
    if (record.signature !== 0x02014b50) {
      throw new ArchiveError(archive, `invalid central directory record signature 0x${record.signature.toString(16)}`);
    }
    const disk = diskStarts[record.diskNumber];
    if (disk === undefined) {
      throw new ArchiveError(archive, diskStarts.length === 1 ? multiDisk(end) : `entry ${index + 1} is on disk ${record.diskNumber + 1}, past the set's ${diskStarts.length} volumes`);
    }
    // An offset that unzipper could not read (a zip64 field missing) is left for the entry's problem.
    const offset = record.offsetToLocalFileHeader;
    return Number.isSafeInteger(offset) ? { ...record, offsetToLocalFileHeader: disk + offset + place.shift } : record;
  });
  return { files, scan: await scanCentralDirectory(opening, place.start, end.directorySize), size };
}

/**
 * Opens a zip archive through its central directory with `unzipper`. The directory is read (and
 * fingerprinted) here, once; a directory that cannot be read is an {@link ArchiveError}.
 *
 * The archive's entries come in central-directory order. Each entry's bytes are read on their
 * own (one ranged read from its local header on), so an entry can be read without reading any
 * before it: resuming costs nothing. A local file is read through one descriptor for all its
 * entries. The next entry is emitted only after the current one is
 * released, through the same {@link createLease} lease as the tar reader's. Names are decoded as
 * the zip says (UTF-8 flag, Info-ZIP Unicode Path extra field, else UTF-8 if valid, else CP437).
 * Problems of one entry (unsupported method, sizes missing, data past the end) travel with the
 * entry as `problem`, and that entry fails without stopping the others.
 *
 * A zip after other bytes (a self-extracting zip) is read as `unzip` reads it: when its central
 * directory is not where its end record says but right before the end record, every offset is
 * shifted by the difference. A zip split into volumes (`x.z01 … x.zip`) is read through a source
 * that holds its volumes one after another, with `diskStarts` saying where each one starts there;
 * a volume that is missing fails the entries whose bytes it holds, as `unreadable`, naming it.
 *
 * @param source The archive's bytes (a local file, or any random-access source).
 * @param name The archive as the user named it, for messages.
 * @param signal Ends the reading of the central directory early.
 * @param diskStarts Where each disk of a split zip starts in `source`. Default: one disk, `[0]`; a
 * zip that says it has more is refused.
 */
export async function openZip(source: RandomAccessSource, name: string, signal?: AbortSignal, diskStarts: readonly number[] = [0]): Promise<Archive> {
  const directory = await openDirectory(boundTo(source, signal), name, diskStarts).catch((error: unknown) => {
    throw error instanceof MissingVolumeError ? new ArchiveError(name, `${error.message}, which holds part of the central directory`, { cause: error }) : error;
  });
  const { size, scan } = directory;
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
        const reader = sharedReader(source);
        (async () => {
          for (const [index, record] of directory.files.entries()) {
            if (stopped) return;
            if (skip(index)) continue;
            const fields = zipEntryFields(record, index, {
              archive: name,
              archiveSize: size,
              unicodeName: scan.unicodeNames.get(index),
              zip64Short: scan.zip64Short.has(index),
              aes: scan.aesFields.get(index),
              password,
            });
            const lease = createLease();
            releaseCurrent = lease.release;
            subscriber.next({
              ...fields,
              open(config) {
                const bytes = failingOnMissingVolume(
                  zipEntryBytes(source, record, {
                    archive: name,
                    entry: fields.name,
                    password: fields.encrypted === 'password' ? password : undefined,
                    aes: scan.aesFields.get(index),
                    reader: reader.open,
                    reuseChunks: config?.reuseChunks,
                  }),
                  name,
                  fields.name,
                );
                opened.add(bytes);
                return bytes;
              },
              release: lease.release,
            });
            await lease.released;
            for (const bytes of opened) bytes.destroy();
            opened.clear();
          }
          await reader.close();
          subscriber.complete();
        })().catch((error: unknown) => subscriber.error(new ArchiveError(name, describeError(error), { cause: error })));
        return () => {
          stopped = true;
          for (const bytes of opened) bytes.destroy();
          releaseCurrent();
          void reader.close();
        };
      }),
  };
}
