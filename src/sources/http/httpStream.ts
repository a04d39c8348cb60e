import type { Readable } from 'node:stream';
import { type HttpSourceConfig, remoteFile } from './remoteFile.js';
import { wholeBody } from './wholeBody.js';

/**
 * The body of a remote file from its start, for servers that do not answer ranges (or for reading
 * straight through, as a tar is read). A connection that drops is asked again from the start and
 * the bytes already delivered are dropped as they come again, so the reader sees one seamless
 * stream; an answer from another version of the file (another ETag, Last-Modified or length) is an
 * error, never mixed in. Retries as {@link openHttpSource} does.
 *
 * ## Examples
 * ```ts
 * import { pipeline } from 'node:stream/promises';
 * import { createGunzip } from 'node:zlib';
 * import { openHttpStream } from './httpStream.js';
 *
 * await pipeline(openHttpStream('https://example.org/backup.tar.gz'), createGunzip(), process.stdout);
 * ```
 *
 * @see downloadToFile
 * @param url An `http://` or `https://` address.
 * @param config As for {@link openHttpSource}.
 * @return The body; nothing is asked until it is read.
 * @throws HttpSourceError at once if `url` is not an `http(s)` address.
 */
export function openHttpStream(url: string, config: HttpSourceConfig = {}): Readable {
  return wholeBody(remoteFile(url, config));
}
