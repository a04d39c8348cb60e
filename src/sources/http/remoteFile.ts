import { realWait, retryDefaults, type Wait } from '../../retry.js';
import type { Settled } from '../../settled.js';
import { fetchFollowingRedirects } from './fetchFollowingRedirects.js';
import { HttpSourceError, statusError } from './httpSourceError.js';
import { isHttpUrl, redactUrl } from './redactUrl.js';
import type { Validators } from './validators.js';

/** Options of the HTTP sources ({@link openHttpSource}, {@link openHttpStream}, {@link downloadToFile}). */
export interface HttpSourceConfig {
  /** Failures in a row (errors, 429/5xx answers, dropped connections) before a read is given up. Default: 5. */
  attempts?: number | undefined;
  /** The first wait between attempts in milliseconds, doubling (1 s, 2 s, 4 s…). Default: 1 000. */
  backoff?: number | undefined;
  /**
   * Milliseconds a read keeps trying while the server cannot be reached at all (no answer: the
   * network is gone), whatever `attempts` says, with waits of at most 30 s; past that it fails with
   * an `UnreachableError`, which stops the run to be resumed. The CLI passes `--network-wait`.
   * Default: 0 (only `attempts` count).
   */
  networkWait?: number | undefined;
  /**
   * Waits so many milliseconds, ending early (rejecting) when `signal` aborts; tests pass a virtual
   * clock. Default: a timer.
   */
  wait?: Wait | undefined;
  /** Most redirects followed per request. Default: 10. */
  maxRedirects?: number | undefined;
  /** The `fetch` to use. Default: the global one (undici). */
  fetch?: typeof globalThis.fetch | undefined;
  /**
   * Gives the address as given anew, for a link that expires (a Torbox download link, a signed
   * link an API hands out): the address passed to open the file is taken as its first answer. When
   * a link, or where it redirects, answers 401, 403, 404 or 410, or redirects to a web page
   * (`text/html`) instead of the file, a fresh link is asked for and the read goes on from the byte
   * it reached with it (the request fails as retryable, so it counts against `attempts`). What it
   * throws ends the read. Default: none; an expired redirect target is then asked for again from
   * the address as given.
   */
  resolveUrl?: (() => Promise<string>) | undefined;
}

/**
 * One remote file as every request for it sees it: the address (after redirects), what the first
 * answer told (length, validators), the bytes received, and who to tell when reading it failed
 * for good.
 */
export interface RemoteFile {
  /**
   * The address as given (the latest link `resolveUrl` gave, if there is one); it may hold a token,
   * so it is only ever shown through `redactUrl`.
   */
  readonly url: string;
  readonly settings: Settled<Omit<HttpSourceConfig, 'resolveUrl'>>;
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
   * again from the address as given, and this one fails as retryable. With `resolveUrl`, an
   * expired link is renewed first (see {@link HttpSourceConfig.resolveUrl}).
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
 * Refuses what is not an `http(s)` address, or holds a user name or password: fetch refuses them,
 * and they would follow a redirect to another host.
 */
function checkAddress(url: string): void {
  if (!isHttpUrl(url) || !URL.canParse(url)) throw new HttpSourceError(`not an http(s) address: ${redactUrl(url)}`);
  const { username, password } = new URL(url);
  if (username || password) throw new HttpSourceError(`a user name or password in the address is not supported: ${redactUrl(url)}`);
}

/** Whether an answer is a web page: what a link that expired may redirect to instead of the file. */
const isWebPage = (response: Response) => /^text\/html\b/i.test(response.headers.get('content-type') ?? '');

/**
 * The shared state of one remote file.
 *
 * @param url An `http(s)` address.
 * @param config Retries, waits, the redirect cap, the fetch to use, and how to renew the address.
 * @throws HttpSourceError if `url` is not an `http(s)` address, or holds a user name or password.
 */
export function remoteFile(url: string, config: HttpSourceConfig = {}): RemoteFile {
  checkAddress(url);
  const settings: Settled<Omit<HttpSourceConfig, 'resolveUrl'>> = {
    attempts: config.attempts ?? retryDefaults.attempts,
    backoff: config.backoff ?? retryDefaults.backoff,
    networkWait: config.networkWait ?? retryDefaults.networkWait,
    wait: config.wait ?? realWait,
    maxRedirects: config.maxRedirects ?? 10,
    fetch: config.fetch ?? globalThis.fetch,
  };
  const { resolveUrl } = config;
  let given = url;
  let current = url;
  let renewal: Promise<void> | undefined;
  const listeners = new Set<(error: Error) => void>();

  /** Asks for a fresh link, once however many requests found `expired` expired at the same time. */
  async function renew(expired: string): Promise<void> {
    if (!resolveUrl || given !== expired) return;
    renewal ??= resolveUrl()
      .then((link) => {
        checkAddress(link);
        given = link;
        current = link;
      })
      .finally(() => {
        renewal = undefined;
      });
    await renewal;
  }

  return {
    get url() {
      return given;
    },
    settings,
    described: false,
    validators: {},
    length: undefined,
    bytesFetched: 0,
    async get(headers, signal) {
      const from = given;
      const asked = current;
      const answer = await fetchFollowingRedirects(asked, {
        headers: { ...baseHeaders, ...headers },
        signal,
        maxRedirects: settings.maxRedirects,
        fetch: settings.fetch,
      });
      const { response } = answer;
      const webPage = resolveUrl !== undefined && answer.url !== asked && isWebPage(response);
      if ((resolveUrl || asked !== from) && (expiredTargetStatuses.has(response.status) || webPage)) {
        await response.body?.cancel();
        const what = webPage ? `a web page at ${redactUrl(answer.url)} instead of the file` : statusError(response, answer.url).message;
        if (resolveUrl) await renew(from);
        else current = from;
        const next = resolveUrl ? 'asking for a fresh link' : `asking ${redactUrl(from)} again`;
        throw new HttpSourceError(`${what}; ${next}`, { status: response.status, retryable: true });
      }
      // A request sent before a renewal must not bring the expired link back.
      if (given === from) current = answer.url;
      return response;
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
