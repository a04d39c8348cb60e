import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { abortable } from '../randomAccess.js';
import type { HttpSource } from './httpSource.js';
import { openHttpStream } from './httpStream.js';
import type { HttpSourceConfig } from './remoteFile.js';

/**
 * Copies a remote file into a local file, streaming (no whole-body buffer), for a zip on a server
 * without byte ranges: a zip is read through its central directory at the end, so it needs a copy
 * it can read by offset. Without ranges a dropped connection cannot be resumed, so the transfer
 * restarts from the start, dropping what was already written (see {@link openHttpStream}); the
 * same retry rules apply. The file is created or replaced; on failure it is left as it is, for the
 * caller to delete.
 *
 * ## Examples
 * ```ts
 * import { downloadToFile } from './downloadToFile.js';
 * await downloadToFile('https://example.org/photos.zip', '/state/downloads/photos.zip');
 * ```
 *
 * @param from An `http(s)` address, or an opened {@link HttpSource} (its probe's validators are
 * then checked, and its byte count grows).
 * @param file Where the copy goes.
 * @param config As for `openHttpSource`, when `from` is an address.
 * @param signal Ends the download early.
 * @return The number of bytes written.
 */
export async function downloadToFile(from: string | HttpSource, file: string, config: HttpSourceConfig = {}, signal?: AbortSignal): Promise<number> {
  const body = typeof from === 'string' ? abortable(openHttpStream(from, config), signal) : from.stream(0, undefined, signal);
  const out = createWriteStream(file);
  await pipeline(body, out);
  return out.bytesWritten;
}
