import { Readable } from 'node:stream';
import { retrying } from '../../retry.js';
import { abortable, type RandomAccessSource } from '../randomAccess.js';
import { probeRemoteFile } from './probeRemoteFile.js';
import { rangedBody } from './rangedBody.js';
import { type HttpSourceConfig, remoteFile } from './remoteFile.js';
import { httpRetryBudget } from './httpRetryBudget.js';
import { wholeBody } from './wholeBody.js';

/** A remote file read over HTTP: a {@link RandomAccessSource}, plus what its server told. */
export interface HttpSource extends RandomAccessSource {
  /**
   * Whether the server answers byte ranges. When it does not, every `stream` is a GET of the whole
   * file with the bytes before the offset dropped (the first 64 KiB come from the probe, without
   * asking again), and the first such `stream` that reads past them goes on with the probe's own
   * answer: a file read from its start travels the wire once. Fine for reading from the start,
   * costly anywhere else.
   */
  readonly ranged: boolean;
  /** The file's length, if the server told it (`size()` gives 0 when it did not). */
  readonly length: number | undefined;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  /** Body bytes received so far, over every request: what reading the file has cost. */
  readonly bytesFetched: number;
  /**
   * Listens for a read that failed for good (the file changed, a final status, attempts used up).
   * The listener is called before the failing stream errors. Returns the function that stops
   * listening.
   */
  onFatal(listener: (error: Error) => void): () => void;
  /**
   * Lets go of the probe's answer from a server without ranges, if no `stream` has taken it on:
   * until then its connection stays open (and holds the process up). Call it once the source is
   * no longer read; reading after it still works, with requests of its own. Calling it again, or
   * for a server with ranges, does nothing.
   */
  release(): void;
}

/** A stream of bytes already in memory. */
const bufferStream = (bytes: Buffer) => Readable.from(bytes.length ? [bytes] : [], { objectMode: false });

/**
 * Opens a remote file for reading by offset, over HTTP range requests.
 *
 * It is probed once with a ranged GET (redirects followed, at most `maxRedirects`, the last
 * address kept for every later request). Then each `stream(offset, length)` is one ranged GET for
 * exactly those bytes, checked against the probe's validators so that a file that changes is an
 * error ("the file at … changed while being read"), never wrong bytes; a connection that drops is
 * picked up where it broke; 429 and 5xx answers and transport errors are retried after
 * `Retry-After` or 1 s, 2 s, 4 s…, up to `attempts` failures in a row. A link that expires is
 * renewed through `resolveUrl` when one is given, and reading goes on from the byte it reached.
 * Bytes stream through with bounded memory. Errors are one line with the status and the address,
 * its query string redacted.
 *
 * ## Examples
 * ```ts
 * import { openHttpSource } from './httpSource.js';
 * import { openZip } from '../zipArchive.js';
 *
 * const source = await openHttpSource('https://example.org/photos.zip');
 * if (source.ranged) console.log(await openZip(source, 'photos.zip'));
 * ```
 *
 * @see openHttpStream for a whole body from the start
 * @see downloadToFile for a copy on disk
 * @param url An `http://` or `https://` address.
 * @param config Attempts (default 5), backoff (default 1 000 ms), the wait function, the redirect
 * cap (default 10), the fetch to use, and `resolveUrl` for a link that expires.
 * @param signal Ends the probe early: its request, and the waits between its attempts.
 * @return The source; `ranged` says whether the server answers ranges.
 * @throws HttpSourceError if the server cannot be reached or answers with an error.
 */
export async function openHttpSource(url: string, config: HttpSourceConfig = {}, signal: AbortSignal = new AbortController().signal): Promise<HttpSource> {
  const file = remoteFile(url, config);
  const { ranged, head, headIsWhole, answer } = await retrying(
    () => {
      signal.throwIfAborted();
      return probeRemoteFile(file, signal);
    },
    httpRetryBudget(file.settings),
    signal,
  );
  // The probe's answer, until a stream takes it on or the source lets go of it.
  let unread = answer;
  const takeUnread = () => {
    const taken = unread;
    unread = undefined;
    return taken;
  };
  return {
    ranged,
    length: file.length,
    etag: file.validators.etag,
    lastModified: file.validators.lastModified,
    get bytesFetched() {
      return file.bytesFetched;
    },
    onFatal: file.onFatal,
    size: async () => file.length ?? 0,
    stream(offset, length, signal) {
      const end = Math.min(length === undefined ? Infinity : offset + length, file.length ?? Infinity);
      if (end <= offset) return abortable(bufferStream(Buffer.alloc(0)), signal);
      if (!ranged && (end <= head.length || headIsWhole)) return abortable(bufferStream(head.subarray(offset, end)), signal);
      // Destroying the body aborts its request and any wait for a retry (see resumableBody).
      if (ranged) return abortable(rangedBody(file, offset, end), signal);
      const taken = takeUnread();
      const first = taken && { ...taken, skip: offset, end: file.length };
      return abortable(wholeBody(file, offset, Number.isFinite(end) ? end : undefined, first), signal);
    },
    release() {
      takeUnread()?.body.cancel().catch(() => {});
    },
  };
}
