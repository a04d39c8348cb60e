import { describeError } from '../../errors.js';
import { retrying, type Verdict, type Wait } from '../../retry.js';
import { retryAfterMs } from '../http/httpSourceError.js';
import { redactUrl } from '../http/redactUrl.js';
import { TorboxError, type TorboxFailure } from './torboxError.js';
import { kindInWords, type TorboxItem } from './torboxName.js';

/** Everything a request to the Torbox API needs: where, with which key, and how to retry. */
export interface TorboxSettings {
  /** The API key: secret, never logged, never in a message. */
  readonly apiKey: string;
  /** `https://api.torbox.app`, or another base (tests, a proxy). */
  readonly apiBase: string;
  /** Failures in a row (429, 5xx, transport) before a request is given up. */
  readonly attempts: number;
  /** The first wait between attempts in milliseconds, doubling, when Torbox sends no `Retry-After`. */
  readonly backoff: number;
  /** Waits so many milliseconds; an abort ends the wait early (rejecting). */
  readonly wait: Wait;
  readonly fetch: typeof globalThis.fetch;
}

/** One API call, as {@link torboxRequest} makes it. */
export interface TorboxCall {
  /** The path under the API base, as `/v1/api/torrents/requestdl`. */
  readonly path: string;
  readonly query: Record<string, string>;
  /**
   * How the key goes: `bearer` in an `Authorization` header (most endpoints), `query` as the
   * `token` parameter (the `requestdl` endpoints, which take it only there).
   */
  readonly auth: 'bearer' | 'query';
  /** The download asked about, for messages. */
  readonly item: TorboxItem;
  /** Ends the call early: its request, and the wait between attempts. Default: none. */
  readonly signal?: AbortSignal | undefined;
}

/** Torbox's standard answer (its API documentation calls it the Standard Response). */
interface Envelope {
  readonly success?: unknown;
  readonly error?: unknown;
  readonly detail?: unknown;
  readonly data?: unknown;
}

/** A failed attempt, before it is put in words. */
interface Refusal {
  readonly reason: TorboxFailure;
  readonly retryable: boolean;
  readonly status?: number;
  readonly code?: string;
  readonly detail?: string;
  readonly retryAfter?: number;
  readonly cause?: unknown;
}

/** A refusal on its way out of an attempt, to be retried or put in words. */
class Refused extends Error {
  override readonly name = 'Refused';
  constructor(readonly refusal: Refusal) {
    super(refusal.reason);
  }
}

/** 429, 5xx and transport failures are tried again, after Torbox's `Retry-After` if it sent one. */
function classify(error: unknown): Verdict {
  return error instanceof Refused && error.refusal.retryable ? { retry: true, after: error.refusal.retryAfter } : { retry: false };
}

/** Where people find their API key. */
export const torboxKeyPage = 'https://torbox.app/settings';

const requestTimeout = 60_000;
const authCodes = new Set(['NO_AUTH', 'BAD_TOKEN', 'AUTH_ERROR']);

function parseEnvelope(text: string): Envelope | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && 'success' in value ? (value as Envelope) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What an answer that is not a success means. Torbox's codes come first (its documentation: 403 is
 * an authentication error, 400 the caller's mistake, 500 its own; a code ending in `ERROR` is its
 * own fault), the status when it gives no code.
 */
function refusalOf(response: Response, envelope: Envelope | undefined, scrub: (text: string) => string): Refusal {
  const { status } = response;
  const code = typeof envelope?.error === 'string' && envelope.error !== '' ? envelope.error : undefined;
  const detail = typeof envelope?.detail === 'string' && envelope.detail !== '' ? scrub(envelope.detail) : undefined;
  const told = { status, ...(code !== undefined ? { code } : {}), ...(detail !== undefined ? { detail } : {}) };
  if ((code !== undefined && authCodes.has(code)) || (code === undefined && (status === 401 || status === 403))) return { reason: 'bad-key', retryable: false, ...told };
  if (code === 'ITEM_NOT_FOUND' || (code === undefined && status === 404)) return { reason: 'not-found', retryable: false, ...told };
  if (code !== undefined && /NOT_(CACHED|READY|FINISHED)/.test(code)) return { reason: 'not-ready', retryable: false, ...told };
  if (code === 'TOO_MANY_REQUESTS' || status === 429) {
    const retryAfter = retryAfterMs(response.headers.get('retry-after'));
    return { reason: 'rate-limited', retryable: true, ...told, ...(retryAfter !== undefined ? { retryAfter } : {}) };
  }
  if (status >= 500 || (code !== undefined && code.endsWith('_ERROR'))) return { reason: 'unavailable', retryable: true, ...told };
  if (envelope === undefined) return { reason: 'unavailable', retryable: false, ...told };
  return { reason: 'refused', retryable: false, ...told };
}

/** A refusal in words: what happened and what to do, for people. */
function messageOf(refusal: Refusal, call: TorboxCall, settings: TorboxSettings, attempts: number): string {
  const what = `${kindInWords[call.item.kind]} ${call.item.id}`;
  const said = refusal.code ?? `HTTP ${refusal.status}`;
  const api = redactUrl(settings.apiBase).replace(/\/$/, '');
  switch (refusal.reason) {
    case 'bad-key':
      return `Torbox refused the API key in TORBOX_API_KEY (${said}): copy it again from ${torboxKeyPage}`;
    case 'not-found':
      return `Torbox has no ${what} in this account (${said}); check the id in your Torbox downloads`;
    case 'not-ready':
      return `the ${what} is not ready on Torbox yet (${said}); run the same command again when it has finished downloading`;
    case 'rate-limited':
      return `Torbox is limiting how often it may be asked (${said}) and still was after ${attempts} attempts; wait a few minutes and run the same command again`;
    case 'unavailable':
      if (refusal.status === undefined) return `cannot reach Torbox at ${api} (${describeError(refusal.cause)}) after ${attempts} attempts; check the connection and try again`;
      if (!refusal.retryable) return `${api} did not answer as the Torbox API does (HTTP ${refusal.status}); check TORBOX_API_BASE`;
      return `Torbox is failing (${said}${refusal.detail ? `: ${refusal.detail}` : ''}) and still was after ${attempts} attempts; try again later`;
    default:
      return `Torbox refused the ${what}: ${refusal.detail ?? 'it gave no reason'} (${said})`;
  }
}

/** One attempt: the envelope's `data` on success, else why not. */
async function attempt(
  url: URL,
  headers: Record<string, string>,
  settings: TorboxSettings,
  scrub: (text: string) => string,
  signal: AbortSignal | undefined,
): Promise<{ data: unknown } | Refusal> {
  let response: Response;
  let text: string;
  const timeout = AbortSignal.timeout(requestTimeout);
  try {
    response = await settings.fetch(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    text = await response.text();
  } catch (error) {
    // undici puts the reason (refused, reset, timed out) in `cause`; the address is not in it.
    const reason = scrub(describeError((error as Error).cause ?? error));
    return { reason: 'unavailable', retryable: true, cause: new Error(reason) };
  }
  const envelope = parseEnvelope(text);
  if (response.ok && envelope?.success === true) return { data: envelope.data };
  return refusalOf(response, envelope, scrub);
}

/**
 * One call to the Torbox API, retried on 429 (after `Retry-After`), 5xx and transport failures,
 * up to `attempts` in a row. The key goes in the `token` parameter or an `Authorization` header as
 * the endpoint wants it; it is cut out of anything Torbox or the transport says before that is put
 * in a message, and the API's address is only ever shown redacted.
 *
 * @param settings The key, the base address and the retry settings.
 * @param call The endpoint, its parameters, and the download it is about.
 * @return The `data` of Torbox's answer.
 * @throws TorboxError when Torbox says no, or cannot be asked.
 */
export async function torboxRequest(settings: TorboxSettings, call: TorboxCall): Promise<unknown> {
  const url = new URL(`${settings.apiBase.replace(/\/+$/, '')}${call.path}`);
  for (const [name, value] of Object.entries({ ...(call.auth === 'query' ? { token: settings.apiKey } : {}), ...call.query })) url.searchParams.set(name, value);
  const headers = { accept: 'application/json', 'user-agent': 'unspool', ...(call.auth === 'bearer' ? { authorization: `Bearer ${settings.apiKey}` } : {}) };
  const scrub = (text: string) => (settings.apiKey ? text.split(settings.apiKey).join('…') : text);
  let attempts = 0;
  try {
    return await retrying(async () => {
      attempts += 1;
      const answer = await attempt(url, headers, settings, scrub, call.signal);
      // A stopped call is not Torbox failing: it is not retried, nor reported as Torbox's.
      call.signal?.throwIfAborted();
      if ('data' in answer) return answer.data;
      throw new Refused(answer);
    }, { classify, attempts: settings.attempts, backoff: settings.backoff, wait: settings.wait }, call.signal);
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    const { refusal } = error;
    const options = { code: refusal.code, status: refusal.status, cause: refusal.cause };
    throw new TorboxError(refusal.reason, messageOf(refusal, call, settings, attempts), options);
  }
}
