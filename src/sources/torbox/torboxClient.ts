import { ConfigError } from '../../errors.js';
import { realWait, retryDefaults, type Wait } from '../../retry.js';
import { isHttpUrl } from '../http/redactUrl.js';
import { TorboxError } from './torboxError.js';
import { kindInWords, type TorboxItem, type TorboxKind } from './torboxName.js';
import { torboxKeyPage, torboxRequest, type TorboxSettings } from './torboxRequest.js';

/** Options of {@link torboxClient}. */
export interface TorboxClientConfig {
  /** The API key from the Torbox settings page. Secret: never logged, never in a message. */
  readonly apiKey: string;
  /** The API's base address. Default: `https://api.torbox.app`. */
  readonly apiBase?: string | undefined;
  /** Failures in a row (429, 5xx, transport) before a call is given up. Default: 5. */
  readonly attempts?: number | undefined;
  /** The first wait between attempts in milliseconds, doubling, when Torbox sends no `Retry-After`. Default: 1 000. */
  readonly backoff?: number | undefined;
  /** Waits so many milliseconds, ending early when `signal` aborts; tests pass a virtual clock. Default: a timer. */
  readonly wait?: Wait | undefined;
  /** The `fetch` to use. Default: the global one. */
  readonly fetch?: typeof globalThis.fetch | undefined;
}

/** One file of a Torbox download. */
export interface TorboxFile {
  readonly id: number;
  /** Its path in the download. */
  readonly name: string;
  readonly size: number;
}

/** A Torbox download as its list describes it. */
export interface TorboxDownload {
  readonly name: string;
  /** Bytes of all its files. */
  readonly size: number;
  /** Whether Torbox has it whole, ready to be downloaded. */
  readonly finished: boolean;
  /** How far along it is, from 0 to 1, if Torbox tells. */
  readonly progress: number | undefined;
  readonly files: readonly TorboxFile[];
}

/** The few calls unspool makes to Torbox. */
export interface TorboxClient {
  /**
   * A download link for a download: its one file (`fileId`), or all its files as one zip
   * (`zip_link=true`). The link holds a token of its own and expires about an hour after it is
   * given (Torbox's documentation): ask again for a fresh one. `signal` ends the call early.
   */
  requestDownload(item: TorboxItem, fileId?: number, signal?: AbortSignal): Promise<string>;
  /** The download's name, size, files and whether it has finished, from `mylist`. `signal` ends the call early. */
  describe(item: TorboxItem, signal?: AbortSignal): Promise<TorboxDownload>;
}

/** The API's address when `TORBOX_API_BASE` is not set. */
export const defaultTorboxApiBase = 'https://api.torbox.app';

/** The path segment and the id parameter of each kind, as Torbox's API names them. */
const endpoints: Record<TorboxKind, { readonly segment: string; readonly idParameter: string }> = {
  torrent: { segment: 'torrents', idParameter: 'torrent_id' },
  usenet: { segment: 'usenet', idParameter: 'usenet_id' },
  webdl: { segment: 'webdl', idParameter: 'web_id' },
};

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const numberOr = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);

/** A download's entry in `mylist`, which answers an object for an `id` (a list, on some versions). */
function downloadOf(data: unknown, item: TorboxItem): TorboxDownload | undefined {
  const found = Array.isArray(data) ? data.map(record).find((entry) => entry !== undefined && Number(entry.id) === item.id) : record(data);
  if (!found) return undefined;
  const files = (Array.isArray(found.files) ? found.files : []).map(record).filter((file) => file !== undefined);
  return {
    name: typeof found.name === 'string' && found.name !== '' ? found.name : `${item.kind} ${item.id}`,
    size: numberOr(found.size, 0),
    finished: found.download_finished === true && found.download_present !== false,
    progress: typeof found.progress === 'number' ? found.progress : undefined,
    files: files.map((file) => ({ id: numberOr(file.id, 0), name: String(file.name ?? ''), size: numberOr(file.size, 0) })),
  };
}

/**
 * A small client of the Torbox API (`https://api.torbox.app`, version `v1`) over `fetch`: a
 * download link for a torrent, usenet or web download, and its description. Every call reads
 * Torbox's standard answer (`{ success, error, detail, data }`), waits out 429 answers for as long
 * as `Retry-After` asks, retries 5xx answers and transport failures, and turns a refusal into a
 * {@link TorboxError} worded for people. The key never appears in a message.
 *
 * ## Examples
 * ```ts
 * import { torboxClient } from './torboxClient.js';
 *
 * const torbox = torboxClient({ apiKey: process.env.TORBOX_API_KEY! });
 * const about = await torbox.describe({ kind: 'torrent', id: 123 });
 * if (about.finished) console.log(await torbox.requestDownload({ kind: 'torrent', id: 123 }));
 * ```
 *
 * @see torboxClientFromEnv for the key and base address from the environment
 * @param config The key, the base address, retries and waits, and the fetch to use.
 */
export function torboxClient(config: TorboxClientConfig): TorboxClient {
  const settings: TorboxSettings = {
    apiKey: config.apiKey,
    apiBase: config.apiBase ?? defaultTorboxApiBase,
    attempts: config.attempts ?? retryDefaults.attempts,
    backoff: config.backoff ?? retryDefaults.backoff,
    wait: config.wait ?? realWait,
    fetch: config.fetch ?? globalThis.fetch,
  };
  return {
    async requestDownload(item, fileId, signal) {
      const { segment, idParameter } = endpoints[item.kind];
      const query = { [idParameter]: String(item.id), ...(fileId === undefined ? { zip_link: 'true' } : { file_id: String(fileId) }) };
      const link = await torboxRequest(settings, { path: `/v1/api/${segment}/requestdl`, query, auth: 'query', item, signal });
      if (typeof link !== 'string' || !isHttpUrl(link)) {
        throw new TorboxError('unavailable', `Torbox answered without a download link for the ${kindInWords[item.kind]} ${item.id}; try again later`);
      }
      return link;
    },
    async describe(item, signal) {
      const query = { id: String(item.id), bypass_cache: 'true' };
      const data = await torboxRequest(settings, { path: `/v1/api/${endpoints[item.kind].segment}/mylist`, query, auth: 'bearer', item, signal });
      const download = downloadOf(data, item);
      if (!download) throw new TorboxError('not-found', `Torbox has no ${kindInWords[item.kind]} ${item.id} in this account; check the id in your Torbox downloads`);
      return download;
    },
  };
}

/**
 * A client with the key from `TORBOX_API_KEY` and the base address from `TORBOX_API_BASE` (default
 * `https://api.torbox.app`).
 *
 * @param env The environment (`process.env`).
 * @param config Retries, waits and the fetch to use.
 * @throws TorboxError (`no-key`) when `TORBOX_API_KEY` is not set, saying where to get a key.
 * @throws ConfigError when `TORBOX_API_BASE` is not an http(s) address.
 */
export function torboxClientFromEnv(env: NodeJS.ProcessEnv, config: Omit<TorboxClientConfig, 'apiKey' | 'apiBase'> = {}): TorboxClient {
  const apiKey = env.TORBOX_API_KEY?.trim();
  if (!apiKey) {
    throw new TorboxError('no-key', `TORBOX_API_KEY is not set: copy your API key from ${torboxKeyPage} and set TORBOX_API_KEY in the environment`);
  }
  const apiBase = env.TORBOX_API_BASE?.trim() || defaultTorboxApiBase;
  if (!isHttpUrl(apiBase) || !URL.canParse(apiBase)) throw new ConfigError(`TORBOX_API_BASE is not an http(s) address; leave it unset for ${defaultTorboxApiBase}`);
  return torboxClient({ ...config, apiKey, apiBase });
}
