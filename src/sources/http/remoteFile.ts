import { setTimeout as sleep } from 'node:timers/promises';
import { fetchFollowingRedirects } from './fetchFollowingRedirects.js';
import { HttpSourceError, statusError } from './httpSourceError.js';
import { isHttpUrl, redactUrl } from './redactUrl.js';
import type { Validators } from './validators.js';

/** Options of the HTTP sources ({@link openHttpSource}, {@link openHttpStream}, {@link downloadToFile}). */
export interface HttpSourceConfig {
  /** Failures in a row (errors, 429/5xx answers, dropped connections) before a read is given up. Default: 5. */
  attempts?: number;
  /** The first wait between attempts in milliseconds, doubling (1 s, 2 s, 4 s…). Default: 1 000. */
  backoff?: number;
  /**
   * Waits so many milliseconds, ending early (rejecting) when `signal` aborts; tests pass a virtual
   * clock. Default: a timer.
   */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Most redirects followed per request. Default: 10. */
  maxRedirects?: number;
  /** The `fetch` to use. Default: the global one (undici). */
  fetch?: typeof globalThis.fetch;
}

/**
 * One remote file as every request for it sees it: the address (after redirects), what the first
 * answer told (length, validators), the bytes received, and who to tell when reading it failed
 * for good.
 */
export interface RemoteFile {
  /** The address as given; it may hold a token, so it is only ever shown through `redactUrl`. */
  readonly url: string;
  readonly settings: Required<HttpSourceConfig>;
  /** Whether an answer has told the file's length and validators yet (the first answer does). */
  described: boolean;
  /** The validators of the first answer, that every later answer must match. */
  validators: Validators;
  /** The file's length, if an answer told it. */
  length: number | undefined;
  /** Body bytes received, over every request (what the transfer cost). */
  bytesFetched: number;
  /**
   * A GET to the last address the file was found at, following redirects. When a redirect target
   * (typically a signed link that expired) answers 401, 403, 404 or 410, the next request starts
   * again from the address as given, and this one fails as retryable.
   */
  get(headers: Record<string, string>, signal: AbortSignal): Promise<Response>;
  /** Tells every `onFatal` listener that reading the file failed for good. */
  fail(error: Error): void;
  /** Listens for {@link fail}; returns the function that stops listening. */
  onFatal(listener: (error: Error) => void): () => void;
}

/** Headers on every request: the bytes as stored (no transfer compression), and who asks. */
const baseHeaders = { 'accept-encoding': 'identity', 'user-agent': 'unspool' };
const expiredTargetStatuses = new Set([401, 403, 404, 410]);

/**
 * The shared state of one remote file.
 *
 * @param url An `http(s)` address.
 * @param config Retries, waits, the redirect cap and the fetch to use.
 * @throws HttpSourceError if `url` is not an `http(s)` address, or holds a user name or password.
 */
export function remoteFile(url: string, config: HttpSourceConfig = {}): RemoteFile {
  if (!isHttpUrl(url) || !URL.canParse(url)) throw new HttpSourceError(`not an http(s) address: ${redactUrl(url)}`);
  const { username, password } = new URL(url);
  // fetch refuses them, and they would follow a redirect to another host: refused here, clearly.
  if (username || password) throw new HttpSourceError(`a user name or password in the address is not supported: ${redactUrl(url)}`);
  const settings: Required<HttpSourceConfig> = {
    attempts: config.attempts ?? 5,
    backoff: config.backoff ?? 1000,
    wait: config.wait ?? ((ms, signal) => sleep(ms, undefined, { signal })),
    maxRedirects: config.maxRedirects ?? 10,
    fetch: config.fetch ?? globalThis.fetch,
  };
  let current = url;
  const listeners = new Set<(error: Error) => void>();
  return {
    url,
    settings,
    described: false,
    validators: {},
    length: undefined,
    bytesFetched: 0,
    async get(headers, signal) {
      const answer = await fetchFollowingRedirects(current, {
        headers: { ...baseHeaders, ...headers },
        signal,
        maxRedirects: settings.maxRedirects,
        fetch: settings.fetch,
      });
      if (current !== url && expiredTargetStatuses.has(answer.response.status)) {
        await answer.response.body?.cancel();
        current = url;
        const error = statusError(answer.response, answer.url);
        throw new HttpSourceError(`${error.message}; asking ${redactUrl(url)} again`, { status: error.status, retryable: true });
      }
      current = answer.url;
      return answer.response;
    },
    fail(error) {
      for (const listener of listeners) listener(error);
    },
    onFatal(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
