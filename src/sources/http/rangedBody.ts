import type { Readable } from 'node:stream';
import { HttpSourceError, RemoteFileChangedError, statusError } from './httpSourceError.js';
import { redactUrl } from './redactUrl.js';
import type { RemoteFile } from './remoteFile.js';
import { bodyOf, resumableBody } from './resumableBody.js';
import { conditionalHeaders, isOtherVersion, parseContentRange } from './validators.js';

/** Statuses that answer a conditional range request for a file that is no longer the same. */
const changedStatuses = new Set([200, 412, 416]);

/**
 * Bytes `start` to `end` (exclusive) of a file whose server answers ranges: one GET with
 * `Range: bytes=<start>-<end - 1>`, asked again from the first missing byte if the connection
 * drops (see {@link resumableBody}). Every request carries the first answer's validators
 * (`If-Match`/`If-Range`, see {@link conditionalHeaders}), and every answer must be a 206 for the
 * byte asked, with the same total and validators: anything else is a
 * {@link RemoteFileChangedError}, never bytes of another file.
 *
 * @param file The file, as its first answer described it (its length is known).
 * @param start The first byte.
 * @param end The offset just past the last byte; at most the file's length.
 */
export function rangedBody(file: RemoteFile, start: number, end: number): Readable {
  return resumableBody({
    file,
    start,
    end,
    async connect(position, signal) {
      const response = await file.get({ range: `bytes=${position}-${end - 1}`, ...conditionalHeaders(file.validators, true) }, signal);
      if (response.status !== 206) {
        await response.body?.cancel();
        throw changedStatuses.has(response.status) ? new RemoteFileChangedError(file.url) : statusError(response, file.url);
      }
      const range = parseContentRange(response.headers.get('content-range'));
      if ((range?.total !== undefined && range.total !== file.length) || isOtherVersion(response, file.validators)) {
        await response.body?.cancel();
        throw new RemoteFileChangedError(file.url);
      }
      if (range === undefined || range.first !== position) {
        await response.body?.cancel();
        const got = response.headers.get('content-range') ?? 'no Content-Range';
        throw new HttpSourceError(`${redactUrl(file.url)} answered ${got} when asked for bytes ${position}-${end - 1}`, { status: 206 });
      }
      return { body: bodyOf(response), skip: 0, end: range.last + 1 };
    },
  });
}
