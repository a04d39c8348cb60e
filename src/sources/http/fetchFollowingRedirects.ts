import { describeError } from '../../errors.js';
import { HttpSourceError } from './httpSourceError.js';
import { redactUrl } from './redactUrl.js';

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/** An answer and the address that gave it, at the end of any redirects. */
export interface FollowedAnswer {
  readonly response: Response;
  /** The last address asked; it may hold a token, so it is never printed as it is. */
  readonly url: string;
}

/** What {@link fetchFollowingRedirects} sends and how far it goes. */
export interface RedirectRequest {
  readonly headers: Record<string, string>;
  readonly signal: AbortSignal;
  /** Most redirects followed before giving up. */
  readonly maxRedirects: number;
  readonly fetch: typeof globalThis.fetch;
}

/**
 * One GET, following redirects by hand (`redirect: 'manual'`) so that the number of hops is capped
 * and the final address is known: later range requests go straight there. Every hop carries the
 * same headers (the `Range` among them). A transport failure (refused, reset, timed out) becomes a
 * retryable {@link HttpSourceError}; an abort is passed on as it is. Timeouts are undici's (5
 * minutes without headers, or without body bytes).
 *
 * @param url Where to start.
 * @param request The headers, the abort signal, the redirect cap and the fetch to use.
 * @throws HttpSourceError after too many hops, on a redirect without `Location`, or on a
 * transport failure.
 */
export async function fetchFollowingRedirects(url: string, request: RedirectRequest): Promise<FollowedAnswer> {
  let current = url;
  for (let hops = 0; ; hops++) {
    let response: Response;
    try {
      response = await request.fetch(current, { method: 'GET', headers: request.headers, signal: request.signal, redirect: 'manual' });
    } catch (error) {
      if (request.signal.aborted) throw error;
      // undici reports a transport failure as `fetch failed` with the cause; anything else (a
      // request it cannot build) would fail again the same way.
      const cause = (error as Error).cause;
      const reason = describeError(cause ?? error).replaceAll(current, redactUrl(current));
      throw new HttpSourceError(`cannot reach ${redactUrl(current)}: ${reason}`, { retryable: cause !== undefined, cause: error });
    }
    if (!redirectStatuses.has(response.status)) return { response, url: current };
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (location === null) throw new HttpSourceError(`HTTP ${response.status} without a Location from ${redactUrl(current)}`, { status: response.status });
    if (hops >= request.maxRedirects) {
      throw new HttpSourceError(`more than ${request.maxRedirects} redirects from ${redactUrl(url)}`, { status: response.status });
    }
    const next = new URL(location, current);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new HttpSourceError(`${redactUrl(current)} redirects to a ${next.protocol} address`, { status: response.status });
    }
    current = next.href;
  }
}
