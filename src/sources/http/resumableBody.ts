import { Readable } from 'node:stream';
import { describeError } from '../../errors.js';
import { retrying } from '../../retry.js';
import { HttpSourceError, RemoteFileChangedError } from './httpSourceError.js';
import { redactUrl } from './redactUrl.js';
import type { RemoteFile } from './remoteFile.js';
import { httpRetryBudget } from './httpRetryBudget.js';

/** One answer's body, as {@link resumableBody} reads it. */
export interface BodyAnswer {
  readonly body: ReadableStream<Uint8Array>;
  /** Leading bytes to drop: a whole-body answer, restarted from the start, up to where it broke. */
  readonly skip: number;
  /** The file offset just past this answer's last byte, when the answer tells it. */
  readonly end: number | undefined;
  /**
   * Leading bytes of `body` that were received and counted in `bytesFetched` before (the probe's
   * head, given again from memory), so they are not counted twice. Default: 0.
   */
  readonly counted?: number | undefined;
}

/** What {@link resumableBody} reads, and how it asks for it. */
export interface ResumableBodyConfig {
  readonly file: RemoteFile;
  /** The first byte's offset in the file. */
  readonly start: number;
  /** The offset just past the last byte wanted; `undefined`: to the end of the first answer. */
  readonly end: number | undefined;
  /**
   * Asks for the bytes from `position` on: one attempt, which throws an `HttpSourceError`
   * (retryable or not) when the answer is not usable.
   */
  connect(position: number, signal: AbortSignal): Promise<BodyAnswer>;
  /**
   * An answer already open for the bytes from `start` (the probe's, read on), read before any
   * request is made; a connection that then drops is asked again through `connect`. Default: none.
   */
  readonly first?: BodyAnswer | undefined;
}

/** A web stream with nothing in it, for answers without a body. */
const emptyBody = () => new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });

/** An answer's body, or an empty one. */
export const bodyOf = (response: Response): ReadableStream<Uint8Array> => response.body ?? emptyBody();

/**
 * A Readable of a remote file's bytes from `start` to `end` that survives dropped connections: a
 * body that breaks or ends early is asked for again from the first byte not yet delivered (a
 * range, or the whole file with the bytes already delivered dropped), so the reader sees one
 * seamless stream. Failures in a row are limited by the file's `attempts`, with backoff; a
 * delivered byte resets the count. One chunk is read per `read()`, so memory stays at what the
 * transport buffers, whatever the size.
 *
 * A failure that ends the stream is first told to the file's `onFatal` listeners. A stream that
 * nobody listens to for errors is then closed without one, rather than crash the process
 * (unzipper pipes one such stream); its consumers learn of the failure through `onFatal`.
 *
 * @param config The file, the span, and how to ask for it from a given offset.
 */
export function resumableBody(config: ResumableBodyConfig): Readable {
  const { file } = config;
  const budget = httpRetryBudget(file.settings);
  const lifetime = new AbortController();
  let position = config.start;
  let end = config.end;
  let answer: { reader: ReadableStreamDefaultReader<Uint8Array>; skip: number; end: number | undefined; counted: number } | undefined;
  let request: AbortController | undefined;

  function adopt(opened: BodyAnswer): void {
    answer = { reader: opened.body.getReader(), skip: opened.skip, end: opened.end, counted: opened.counted ?? 0 };
    end ??= opened.end;
  }
  // Taken at once, so that a stream destroyed before its first read still cancels it.
  if (config.first) adopt(config.first);

  const broken = (cause: unknown) =>
    new HttpSourceError(`the connection to ${redactUrl(file.url)} broke at byte ${position} (${describeError(cause)})`, { retryable: true, cause });

  async function connect(): Promise<void> {
    const opened = await retrying(
      () => {
        lifetime.signal.throwIfAborted();
        request = new AbortController();
        return config.connect(position, request.signal);
      },
      budget,
      lifetime.signal,
    );
    adopt(opened);
  }

  async function nextChunk(): Promise<Buffer | null> {
    for (;;) {
      if (end !== undefined && position >= end) return null;
      if (answer === undefined) {
        await connect();
        continue;
      }
      let result: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;
      try {
        result = await answer.reader.read();
      } catch (error) {
        lifetime.signal.throwIfAborted();
        answer = undefined;
        await budget.failed(broken(error), lifetime.signal);
        continue;
      }
      if (result.done) {
        const { skip, end: answerEnd } = answer;
        answer = undefined;
        // Shorter than the part already delivered: the file is not the one that was being read.
        if (skip > 0) throw new RemoteFileChangedError(file.url);
        // A body of untold length can only end where the file ends; a shorter answer than asked
        // for (a server that caps ranges) just needs another request.
        if (answerEnd === undefined || position >= answerEnd) {
          if (end === undefined) return null;
          continue;
        }
        await budget.failed(broken(new Error('the server closed it early')), lifetime.signal);
        continue;
      }
      const recounted = Math.min(answer.counted, result.value.byteLength);
      answer.counted -= recounted;
      file.bytesFetched += result.value.byteLength - recounted;
      let chunk = Buffer.from(result.value.buffer, result.value.byteOffset, result.value.byteLength);
      if (answer.skip > 0) {
        const dropped = Math.min(answer.skip, chunk.length);
        answer.skip -= dropped;
        chunk = chunk.subarray(dropped);
      }
      if (end !== undefined && position + chunk.length > end) chunk = chunk.subarray(0, end - position);
      if (chunk.length === 0) continue;
      position += chunk.length;
      budget.progress();
      return chunk;
    }
  }

  const stream: Readable = new Readable({
    read() {
      nextChunk().then(
        (chunk) => {
          if (!lifetime.signal.aborted) stream.push(chunk);
        },
        (error: Error) => {
          if (lifetime.signal.aborted) return;
          file.fail(error);
          stream.destroy(stream.listenerCount('error') > 0 ? error : undefined);
        },
      );
    },
    destroy(error, callback) {
      lifetime.abort();
      request?.abort();
      answer?.reader.cancel().catch(() => {});
      callback(error);
    },
  });
  return stream;
}
