import { Readable } from 'node:stream';
import { retrying } from '../../retry.js';
import { abortable, type RandomAccessSource } from '../randomAccess.js';
import { HttpSourceError, statusError } from './httpSourceError.js';
import { rangedBody } from './rangedBody.js';
import { redactUrl } from './redactUrl.js';
import { type HttpSourceConfig, type RemoteFile, remoteFile } from './remoteFile.js';
import { bodyOf } from './resumableBody.js';
import { httpRetryBudget } from './httpRetryBudget.js';
import { parseContentRange, unsatisfiedTotal, validatorsOf } from './validators.js';
import { declaredLength, wholeBody } from './wholeBody.js';

/** A remote file read over HTTP: a {@link RandomAccessSource}, plus what its server told. */
export interface HttpSource extends RandomAccessSource {
  /**
   * Whether the server answers byte ranges. When it does not, every `stream` is a GET of the whole
   * file with the bytes before the offset dropped (the first 64 KiB come from the probe, without
   * asking again): fine for reading from the start, costly anywhere else.
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
}

/** What the probe found. */
interface Probe {
  readonly ranged: boolean;
  /** The first bytes of the file, from a server that sent all of it (no ranges). */
  readonly head: Buffer;
  /** Whether `head` is the whole file. */
  readonly headIsWhole: boolean;
}

/** How much of a whole-file answer the probe keeps: enough to tell the format and fingerprint a tar. */
const headLimit = 64 * 1024;

/** Reads up to `limit` bytes of an answer's body and cancels the rest. */
async function readHead(file: RemoteFile, response: Response, limit: number): Promise<{ head: Buffer; whole: boolean }> {
  const reader = bodyOf(response).getReader();
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    while (length < limit) {
      const { done, value } = await reader.read();
      if (done) return { head: Buffer.concat(chunks), whole: true };
      file.bytesFetched += value.byteLength;
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      length += value.byteLength;
    }
  } catch (error) {
    throw new HttpSourceError(`the connection to ${redactUrl(file.url)} broke while probing it`, { retryable: true, cause: error });
  }
  await reader.cancel();
  return { head: Buffer.concat(chunks).subarray(0, limit), whole: false };
}

/**
 * One probe: `GET` with `Range: bytes=0-0` (a `HEAD` is not trusted: servers answer it
 * differently). A 206 with `Content-Range: bytes 0-0/<total>` means ranges work and gives the
 * length; a 200 means they do not, and its first 64 KiB are kept.
 */
async function probe(file: RemoteFile, signal: AbortSignal): Promise<Probe> {
  const response = await file.get({ range: 'bytes=0-0' }, signal);
  const nothing = { head: Buffer.alloc(0), headIsWhole: false };
  const encoding = response.headers.get('content-encoding');
  if (response.status === 206 && encoding !== null && encoding.toLowerCase() !== 'identity') {
    await response.body?.cancel();
    throw new HttpSourceError(`${redactUrl(file.url)} sends the file compressed (Content-Encoding: ${encoding}), so it cannot be read by offset`);
  }
  Object.assign(file, { described: true, validators: validatorsOf(response) });
  if (response.status === 206) {
    const total = parseContentRange(response.headers.get('content-range'))?.total;
    if (total === undefined) {
      await response.body?.cancel();
      return { ranged: false, ...nothing };
    }
    file.length = total;
    await readHead(file, response, 1);
    return { ranged: true, ...nothing };
  }
  if (response.status === 416 && unsatisfiedTotal(response.headers.get('content-range')) === 0) {
    await response.body?.cancel();
    file.length = 0;
    return { ranged: true, ...nothing };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw statusError(response, file.url);
  }
  const { head, whole } = await readHead(file, response, headLimit);
  file.length = declaredLength(response) ?? (whole ? head.length : undefined);
  return { ranged: false, head, headIsWhole: whole };
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
  const { ranged, head, headIsWhole } = await retrying(
    () => {
      signal.throwIfAborted();
      return probe(file, signal);
    },
    httpRetryBudget(file.settings),
    signal,
  );
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
      return abortable(wholeBody(file, offset, Number.isFinite(end) ? end : undefined), signal);
    },
  };
}
