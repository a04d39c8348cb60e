import { redactUrl } from './redactUrl.js';

/** Options of {@link HttpSourceError}. */
export interface HttpSourceErrorOptions {
  /** The HTTP status of the answer, when there was one. */
  status?: number | undefined;
  /** Whether asking again may succeed (429, 5xx, a dropped connection). Default: false. */
  retryable?: boolean | undefined;
  /** How long the server asked to wait before asking again, in milliseconds (`Retry-After`). */
  retryAfter?: number | undefined;
  cause?: unknown | undefined;
}

/**
 * A remote archive could not be read: the server said no (`status` is set), or the transport
 * failed. The message is one line and shows the address with its query string redacted.
 */
export class HttpSourceError extends Error {
  override readonly name: string = 'HttpSourceError';
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfter: number | undefined;

  /**
   * @param message What happened, in words, with any address already redacted.
   * @param options The status, whether to retry and after how long, and the cause.
   */
  constructor(message: string, options: HttpSourceErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.retryAfter = options.retryAfter;
  }
}

/**
 * The file behind an address is no longer the one that was being read: the server answered a
 * conditional range request with 200, 412 or 416, or with another ETag, Last-Modified or length.
 * Never retried: bytes of two different files must never be mixed.
 */
export class RemoteFileChangedError extends HttpSourceError {
  override readonly name: string = 'RemoteFileChangedError';

  /** @param url The file's address (redacted here). */
  constructor(url: string) {
    super(`the file at ${redactUrl(url)} changed while being read`);
  }
}

/** Seconds or an HTTP date, as `Retry-After` gives them, in milliseconds from `now`. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The error for an answer that is not the one asked for: 408, 429 and 5xx may be retried (after
 * `Retry-After`, if given); any other status is final.
 *
 * @param response The answer.
 * @param url The address that gave it (redacted here).
 */
export function statusError(response: Response, url: string): HttpSourceError {
  const { status } = response;
  const retryable = status === 408 || status === 429 || status >= 500;
  const retryAfter = retryAfterMs(response.headers.get('retry-after'));
  const text = `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''} from ${redactUrl(url)}`;
  return new HttpSourceError(text, { status, retryable, ...(retryable && retryAfter !== undefined ? { retryAfter } : {}) });
}
