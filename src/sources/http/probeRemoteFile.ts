import { HttpSourceError, statusError } from './httpSourceError.js';
import { redactUrl } from './redactUrl.js';
import type { RemoteFile } from './remoteFile.js';
import { bodyOf } from './resumableBody.js';
import { parseContentRange, unsatisfiedTotal, validatorsOf } from './validators.js';
import { declaredLength } from './wholeBody.js';

/** What {@link probeRemoteFile} found. */
export interface Probe {
  /** Whether the server answers byte ranges. */
  readonly ranged: boolean;
  /** The first bytes of the file, from a server that sends all of it (no ranges); empty otherwise. */
  readonly head: Buffer;
  /** Whether `head` is the whole file. */
  readonly headIsWhole: boolean;
  /**
   * That whole-file answer, from its first byte: the bytes the probe read, from memory, then the
   * rest of its body, read on from where the probe stopped. Kept open so that reading the file
   * from its start goes on with it instead of asking for the file again; whoever does not read it
   * must cancel it, or its connection stays open. Absent when `head` is the whole file.
   */
  readonly answer?: ProbeAnswer;
}

/** The probe's whole-file answer, as {@link Probe.answer} keeps it. */
export interface ProbeAnswer {
  readonly body: ReadableStream<Uint8Array>;
  /** Its leading bytes that the probe read, and counted in `bytesFetched` already. */
  readonly counted: number;
}

/** How much of a whole-file answer the probe reads: enough to tell the format and fingerprint a tar. */
const headLimit = 64 * 1024;

/** What {@link readHead} read: all of it, or the first `limit` bytes and the reader of the rest. */
type Head = { readonly whole: true; readonly bytes: Buffer } | { readonly whole: false; readonly bytes: Buffer; readonly reader: ReadableStreamDefaultReader<Uint8Array> };

/**
 * Reads at least `limit` bytes of an answer's body, or all of it if it is shorter. Every chunk
 * read is kept (the last one may go past `limit`), so that the bytes read and the reader left
 * behind meet exactly.
 */
async function readHead(file: RemoteFile, response: Response, limit: number): Promise<Head> {
  const reader = bodyOf(response).getReader();
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    while (length < limit) {
      const { done, value } = await reader.read();
      if (done) return { whole: true, bytes: Buffer.concat(chunks) };
      file.bytesFetched += value.byteLength;
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      length += value.byteLength;
    }
  } catch (error) {
    throw new HttpSourceError(`the connection to ${redactUrl(file.url)} broke while probing it`, { retryable: true, cause: error });
  }
  return { whole: false, bytes: Buffer.concat(chunks), reader };
}

/** A body from its first byte: `read` from memory, then what `rest` has not given yet. Cancelling it cancels `rest`. */
function readOn(read: Buffer, rest: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(read),
    async pull(controller) {
      const { done, value } = await rest.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => rest.cancel(reason),
  });
}

/**
 * One probe of a remote file: `GET` with `Range: bytes=0-0` (a `HEAD` is not trusted: servers
 * answer it differently). A 206 with `Content-Range: bytes 0-0/<total>` means ranges work and
 * gives the length. A 200 means they do not: its first 64 KiB are read, and the answer is kept
 * open in `answer`, so that a file read from its start (a tar, or a zip downloaded to read
 * it) travels the wire once. The answer tells `file` its validators and, when it can, its length.
 *
 * The request ends with `signal` only while the probe runs: `answer` outlives it, and ends when it
 * is read to its end or cancelled.
 *
 * @param file The file, not yet described.
 * @param signal Ends the probe early.
 * @throws HttpSourceError on an error status, a compressed ranged answer, or a dropped connection.
 */
export async function probeRemoteFile(file: RemoteFile, signal: AbortSignal): Promise<Probe> {
  const request = new AbortController();
  const abort = () => request.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  try {
    if (signal.aborted) abort();
    return await probeOnce(file, request.signal);
  } catch (error) {
    request.abort();
    throw error;
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

/** The probe itself, its request ended by `signal`. */
async function probeOnce(file: RemoteFile, signal: AbortSignal): Promise<Probe> {
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
    const head = await readHead(file, response, 1);
    if (!head.whole) await head.reader.cancel();
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
  const head = await readHead(file, response, headLimit);
  file.length = declaredLength(response) ?? (head.whole ? head.bytes.length : undefined);
  if (head.whole) return { ranged: false, head: head.bytes, headIsWhole: true };
  const answer = { body: readOn(head.bytes, head.reader), counted: head.bytes.length };
  return { ranged: false, head: head.bytes.subarray(0, headLimit), headIsWhole: false, answer };
}
