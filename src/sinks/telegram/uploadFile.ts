import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { open } from 'node:fs/promises';
import { Api, helpers } from 'telegram';
import { retryDefaults, retrying } from '../../retry.js';
import { addToRanges, inRanges } from '../../state/ranges.js';
import type { UploadRecord } from '../sink.js';
import type { TelegramCall, Wait } from '../../telegram/telegramCall.js';
import { isTransient } from '../../telegram/telegramErrors.js';
import { partSize, partSlots, type PartSlots } from './partSlots.js';

export { partSize };

/** Files over this many bytes must be uploaded with `upload.saveBigFilePart`. */
export const bigFileThreshold = 10 * 1024 * 1024;

/** Options of {@link uploadFile}. */
export interface UploadFileOptions {
  /** Sends a request to Telegram. */
  readonly call: TelegramCall;
  /** The temp file. */
  readonly path: string;
  /** Where in the file the upload starts, for one piece of a split file. Default: 0. */
  readonly offset?: number | undefined;
  /** Bytes to upload: the file's size, or the piece's. */
  readonly size: number;
  /** The file name Telegram records for it. */
  readonly name: string;
  /** How far an earlier attempt or run got; parts it confirmed are not sent again. */
  readonly earlier?: UploadRecord | undefined;
  /** Told after every confirmed part, with the whole progress so far. */
  readonly onPart?: ((record: UploadRecord) => void) | undefined;
  /**
   * The budget of parts in flight this upload draws from, shared with the sink's other uploads.
   * Default: a budget of 4 of its own.
   */
  readonly slots?: PartSlots | undefined;
  /** Its parts' place among those waiting for a slot, lower first; see {@link PartSlots.run}. Default: 0. */
  readonly priority?: number | undefined;
  /** Tries per part for timeouts and dropped connections. Default: 5. */
  readonly tries?: number | undefined;
  /** How to wait between tries. */
  readonly wait: Wait;
  readonly signal: AbortSignal;
}

/** A new upload's file id: a random 64-bit integer, as a decimal string. */
function newFileId(): string {
  return helpers.readBigIntFromBuffer(randomBytes(8), true, true).toString();
}

/**
 * Uploads a file to Telegram in 512 KiB parts, each read from disk into the buffer of a slot of
 * `slots` and sent at once, so memory is `slots.size × 512 KiB` whatever the file's size and
 * however many files upload at once: every part asks for a slot as the upload starts, and goes as
 * soon as one is free. Files over 10 MiB go with `upload.saveBigFilePart`,
 * the others with `upload.saveFilePart`. Parts that `earlier` says are confirmed are skipped, which
 * is how an upload goes on after a crash; `onPart` hears of each new one so it can be recorded.
 * A part that times out is sent again, after 1, 2, 4… seconds.
 *
 * gramjs's own `uploadFile` is not used: it sends parts through a side channel that bypasses
 * `invoke`, keeps no record of confirmed parts, and cannot resume.
 *
 * @return The `InputFile` (or `InputFileBig`) that names the upload in a later request.
 */
export async function uploadFile(options: UploadFileOptions): Promise<Api.InputFile | Api.InputFileBig> {
  const { call, path, offset = 0, size, name, earlier, onPart, slots = partSlots(4), priority = 0, tries = retryDefaults.attempts, wait, signal } = options;
  const big = size > bigFileThreshold;
  const totalParts = Math.max(1, Math.ceil(size / partSize));
  const usable = earlier && earlier.size === size && earlier.partSize === partSize;
  const fileId = usable ? earlier.fileId : newFileId();
  const parts: [number, number][] = usable ? earlier.parts.map(([first, last]) => [first, last]) : [];
  const missing: number[] = [];
  for (let part = 0; part < totalParts; part++) if (!inRanges(parts, part)) missing.push(part);

  // Every part in flight or waiting listens for the abort: one signal each for them, with no
  // listener limit, so that a budget of more than ten parts draws no leak warning.
  const calls = AbortSignal.any([signal]);
  setMaxListeners(0, calls);
  const file = await open(path, 'r');
  try {
    const sendPart = async (part: number, buffer: Buffer): Promise<void> => {
      const { bytesRead } = await file.read(buffer, 0, Math.min(partSize, size - part * partSize), offset + part * partSize);
      const bytes = buffer.subarray(0, bytesRead);
      const id = helpers.returnBigInt(fileId);
      const request = big
        ? new Api.upload.SaveBigFilePart({ fileId: id, filePart: part, fileTotalParts: totalParts, bytes })
        : new Api.upload.SaveFilePart({ fileId: id, filePart: part, bytes });
      await retrying(
        async () => {
          if (!(await call(request, calls))) throw new Error(`Telegram did not confirm part ${part} of ${name}`);
        },
        // After an abort, what the request failed with is passed on as it is, not tried again.
        { classify: (error) => ({ retry: isTransient(error) && !signal.aborted }), attempts: tries, backoff: retryDefaults.backoff, wait },
        calls,
      );
      addToRanges(parts, part);
      onPart?.({ fileId, size, partSize, parts: parts.map(([first, last]) => [first, last]) });
    };
    // The first failure stops the parts still waiting for a slot; those in flight finish first, so
    // that no request reads the file after it is closed.
    const stop = new AbortController();
    const waiting = AbortSignal.any([signal, stop.signal]);
    setMaxListeners(0, waiting);
    await Promise.allSettled(
      missing.map((part) =>
        slots.run(priority, waiting, (buffer) =>
          sendPart(part, buffer).catch((error: unknown) => {
            stop.abort(error);
            throw error;
          }),
        ),
      ),
    );
    if (signal.aborted) throw signal.reason;
    if (stop.signal.aborted) throw stop.signal.reason;
  } finally {
    await file.close();
  }
  const id = helpers.returnBigInt(fileId);
  return big ? new Api.InputFileBig({ id, parts: totalParts, name }) : new Api.InputFile({ id, parts: totalParts, name, md5Checksum: '' });
}
