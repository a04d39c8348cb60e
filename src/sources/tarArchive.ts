import { createHash } from 'node:crypto';
import { Observable } from 'rxjs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Entry, EntryBytes } from '../entry.js';
import { ArchiveBrokenError, ArchiveError, describeError, TruncatedError } from '../errors.js';
import { mediaTypeOf } from '../mediaType.js';
import type { Archive, EntriesConfig } from './archive.js';
import { type TarEntryHeader, TarHeaderScan } from './tarHeaderScan.js';
import { expandSparse } from './tarSparse.js';
import { createLease } from './lease.js';
import { watchTarEnd } from './tarEndMarker.js';
import { type RandomAccessSource, readBytes } from './randomAccess.js';
import { decompressed, type TarFormat } from './tarDecompress.js';

/**
 * v7 headers have no `ustar` magic, and tar-stream refuses them unless told otherwise (an option
 * that its type declarations leave out).
 */
const extractOptions = { allowUnknownFormat: true } as unknown as Parameters<typeof tar.extract>[0];

/**
 * Reads what is left of an entry so that the tar stream can move on to the next header. A
 * directory has nothing to read: tar-stream gives it no data, whatever size its header declares,
 * and its stream would never end.
 */
async function drain(stream: AsyncIterable<unknown>, header: TarEntryHeader): Promise<void> {
  if (header.kind === 'directory') return;
  for await (const chunk of stream) void chunk;
}

/**
 * An entry's stored bytes as tar-stream gives them, but for the error they end with when the tar
 * input has ended before `size` bytes came: the archive is cut short inside this entry, and that
 * is a {@link TruncatedError} (tar-stream says `Unexpected end of data`, in words only). They are
 * read through `next()` alone, as {@link expandSparse} reads them; `return()` and `destroy()`
 * reach tar-stream's stream as before.
 */
function cutChecked(stored: EntryBytes, size: number, inputEnded: () => boolean): EntryBytes {
  const chunks = stored[Symbol.asyncIterator]();
  let read = 0;
  const checked: AsyncIterator<Uint8Array> = {
    async next() {
      try {
        const next = await chunks.next();
        if (!next.done) read += next.value.length;
        return next;
      } catch (error) {
        throw inputEnded() && read < size ? new TruncatedError(describeError(error), { cause: error }) : error;
      }
    },
    return: async (value?: unknown) => (await chunks.return?.(value)) ?? { done: true, value },
  };
  return { [Symbol.asyncIterator]: () => checked, destroy: (error) => stored.destroy(error) };
}

/** An entry's bytes: what tar-stream reads, expanded to the real file for a GNU sparse file. */
function entryBytes(stored: EntryBytes, header: TarEntryHeader): EntryBytes {
  if (!header.sparse) return stored;
  return Readable.from(expandSparse(stored[Symbol.asyncIterator](), header.sparse), { objectMode: false });
}

/**
 * The entries of a tar or tar.gz stream, read with `tar-stream` strictly in order: the next header
 * is not read until the current entry has been released and its bytes consumed (what the pipeline
 * did not read is drained here). Every header is read first by a {@link TarHeaderScan} on the way
 * to tar-stream, so that v7, signed-checksum, Solaris and old GNU sparse headers are read as Python's
 * `tarfile` reads them, names are decoded from their raw bytes, and GNU sparse files are expanded.
 *
 * A stream that breaks before the first entry errors with an {@link ArchiveError}; one that breaks
 * later errors with a {@link ArchiveBrokenError} naming the first entry that was lost.
 *
 */
function tarEntries(input: (signal: AbortSignal) => Readable, archive: string, format: TarFormat, { skip = () => false }: EntriesConfig): Observable<Entry> {
  return new Observable((subscriber) => {
    const extract = tar.extract(extractOptions);
    const scan = new TarHeaderScan();
    const stopped = new AbortController();
    let releaseCurrent = () => {};
    let index = 0;
    const source = input(stopped.signal);
    const tarBytes = decompressed(source, format);
    const end = watchTarEnd(tarBytes);
    // Once the scan has passed on the last byte, an entry whose data stops short was cut by the end.
    let inputEnded = false;
    scan.once('end', () => {
      inputEnded = true;
    });
    const piping = pipeline(tarBytes, scan, extract).catch(() => {
      // The same error surfaces through the extract iterator below, with the entry index.
    });
    (async () => {
      for await (const stream of extract) {
        const header = scan.headerAt(stream.offset);
        if (!header) throw new Error(`tar-stream read a header at byte ${stream.offset} that the header pre-pass did not`);
        if (skip(index)) {
          await drain(stream, header);
          index++;
          continue;
        }
        const lease = createLease();
        releaseCurrent = lease.release;
        let consumed = false;
        const entry: Entry = {
          archive,
          index,
          name: header.name,
          size: header.size,
          kind: header.kind,
          media: mediaTypeOf(header.name),
          encrypted: false,
          ...(header.problem && { problem: header.problem }),
          open() {
            stream.once('end', () => {
              consumed = true;
            });
            return entryBytes(cutChecked(stream as unknown as EntryBytes, stream.header.size ?? 0, () => inputEnded), header);
          },
          release: lease.release,
        };
        subscriber.next(entry);
        await lease.released;
        if (subscriber.closed) return;
        if (!consumed) await drain(stream, header);
        index++;
      }
      await piping;
      if (!end.complete()) throw new Error('the archive ends without tar\'s end-of-archive blocks: it is cut short');
      subscriber.complete();
    })().catch((error: unknown) => {
      const reason = describeError(error);
      subscriber.error(
        index === 0
          ? new ArchiveError(archive, `not a readable ${format} archive: ${reason}`, { cause: error })
          : new ArchiveBrokenError(archive, index, reason, { cause: error }),
      );
    });
    return () => {
      stopped.abort();
      releaseCurrent();
      extract.destroy();
    };
  });
}

/**
 * Opens a tar or tar.gz archive from any source that can be read from its start (a local file, an
 * HTTP body). Its fingerprint is the SHA-256 of its first 64 KiB and its size; its entries are
 * read with `tar-stream` as described at {@link tarEntries}, each subscription from `stream(0)`.
 *
 * @param source The archive's bytes.
 * @param name The archive as the user named it, for messages.
 * @param format `tar`, or the compression around it (`tar.gz`, `tar.xz`, `tar.bz2`, `tar.zst`).
 * @param signal Ends the reading of its first bytes early.
 */
export async function openTarSource(source: RandomAccessSource, name: string, format: TarFormat, signal?: AbortSignal): Promise<Archive> {
  const size = await source.size();
  const head = await readBytes(source, 0, 64 * 1024, signal);
  return {
    name,
    format,
    size,
    fingerprint: createHash('sha256').update(head).update(String(size)).digest('hex'),
    entries: (config = {}) => tarEntries((signal) => source.stream(0, undefined, signal), name, format, config),
  };
}
