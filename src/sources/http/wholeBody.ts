import type { Readable } from 'node:stream';
import { RemoteFileChangedError, statusError } from './httpSourceError.js';
import type { RemoteFile } from './remoteFile.js';
import { type BodyAnswer, bodyOf, resumableBody } from './resumableBody.js';
import { conditionalHeaders, isOtherVersion, validatorsOf } from './validators.js';

/**
 * The length an answer declares for the file, if it declares one that can be trusted: none when
 * the body is compressed for transfer (its `Content-Length` is the compressed one).
 */
export function declaredLength(response: Response): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding.toLowerCase() !== 'identity') return undefined;
  const text = response.headers.get('content-length');
  return text !== null && /^\d+$/.test(text.trim()) ? Number(text) : undefined;
}

/**
 * Bytes of a file from a server that does not answer ranges: a plain GET of the whole file,
 * dropping the bytes before `start`. A connection that drops is asked again from the start of the
 * file, and the bytes already delivered are dropped as they come again (so the reader still sees
 * one seamless stream; the wire carries them twice). The first answer tells the length and
 * validators if nothing did before; every later answer must match them (`If-Match` is sent when
 * the ETag is strong), else it is a {@link RemoteFileChangedError}.
 *
 * An answer already open for the whole file (the probe's, see `probeRemoteFile`) may be passed as
 * `first`: it is read before any request is made, and only a connection that drops is asked again.
 *
 * @param file The file.
 * @param start The first byte wanted. Default: 0.
 * @param end The offset just past the last byte wanted. Default: the end of the file.
 * @param first An open answer for the file from its first byte, its `skip` being `start`. Default: none.
 */
export function wholeBody(file: RemoteFile, start = 0, end?: number, first?: BodyAnswer): Readable {
  return resumableBody({
    file,
    start,
    end,
    first,
    async connect(position, signal) {
      const response = await file.get(conditionalHeaders(file.validators, false), signal);
      if (response.status !== 200) {
        await response.body?.cancel();
        throw response.status === 412 ? new RemoteFileChangedError(file.url) : statusError(response, file.url);
      }
      const length = declaredLength(response);
      if (!file.described) {
        Object.assign(file, { described: true, validators: validatorsOf(response), length });
      } else if (isOtherVersion(response, file.validators) || (length !== undefined && file.length !== undefined && length !== file.length)) {
        await response.body?.cancel();
        throw new RemoteFileChangedError(file.url);
      }
      return { body: bodyOf(response), skip: position, end: file.length };
    },
  });
}
