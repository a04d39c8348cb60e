import { ArchiveError, ConfigError } from '../../errors.js';
import type { Archive } from '../archive.js';
import type { DownloadRoom } from '../http/roomForDownload.js';
import type { HttpSourceConfig } from '../http/remoteFile.js';
import { type TorboxDownload, torboxClientFromEnv } from './torboxClient.js';
import { TorboxError } from './torboxError.js';
import { parseTorboxName } from './torboxName.js';

/** Options of {@link openTorboxArchive}. */
export interface TorboxArchiveOptions {
  /** The folder for copies of zips from servers without byte ranges (`<state>/downloads`). */
  readonly downloads: string;
  /** Retries and waits, for Torbox's API as for its download links; the fetch to use. */
  readonly http?: HttpSourceConfig | undefined;
  /** Free space to keep while downloading a zip that cannot be read in place. */
  readonly room?: DownloadRoom | undefined;
  /** Where `TORBOX_API_KEY` and `TORBOX_API_BASE` are read. Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Ends the opening early: Torbox's API calls, the download's requests, and every wait between them. */
  /** The password of a 7z or RAR archive whose names are encrypted, needed to list it. Default: none. */
  readonly password?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

function notFinished(download: TorboxDownload): TorboxError {
  const done = download.progress !== undefined && download.progress < 1 ? ` (${Math.floor(download.progress * 100)} % done)` : '';
  return new TorboxError('not-ready', `“${download.name}” has not finished downloading on Torbox yet${done}; run the same command again when it has`);
}

/**
 * The error a run stops with when Torbox said no: a {@link ConfigError} (exit 2) for a missing or
 * refused key, which only the user can fix in the settings; an {@link ArchiveError} (exit 3) for
 * anything else (no such download, not finished yet, Torbox limiting or failing), since the
 * archive cannot be read, as for a missing file or an address that answers 404 or 503. Other
 * errors are left as they are.
 *
 * @param name The archive as the user named it.
 * @param error What opening it threw (a {@link TorboxError}, or an error caused by one).
 */
export function torboxRunError(name: string, error: unknown): unknown {
  const torbox = error instanceof TorboxError ? error : error instanceof Error && error.cause instanceof TorboxError ? error.cause : undefined;
  if (!torbox) return error;
  if (torbox.reason === 'no-key' || torbox.reason === 'bad-key') return new ConfigError(`${name}: ${torbox.message}`, { cause: torbox });
  return new ArchiveError(name, torbox.message, { cause: torbox });
}

/**
 * Opens a download in a Torbox account as an archive: `torbox:<id>` (a torrent),
 * `torbox:usenet:<id>` or `torbox:webdl:<id>`. The download must have finished on Torbox. A
 * download of one file is read as that file; one of several files as the zip Torbox makes of them
 * (`zip_link=true`). Its link is asked for with the key in `TORBOX_API_KEY`, read as any remote
 * archive (see `openRemoteArchive`), and renewed through the API whenever it expires (Torbox's
 * links must be started within an hour): reading goes on from the byte it reached.
 *
 * @param path The `torbox:` name.
 * @param name The archive as it may be shown.
 * @param options The downloads folder, the HTTP settings, and the environment.
 * @throws ConfigError for a malformed name, or a missing or refused key.
 * @throws ArchiveError when the download cannot be read: not in the account, not finished, Torbox
 * limiting or failing, not an archive.
 */
export async function openTorboxArchive(path: string, name: string, options: TorboxArchiveOptions): Promise<Archive> {
  const item = parseTorboxName(path);
  try {
    const { attempts, backoff, wait, fetch } = options.http ?? {};
    const client = torboxClientFromEnv(options.env ?? process.env, { attempts, backoff, wait, fetch });
    const { signal } = options;
    const download = await client.describe(item, signal);
    if (!download.finished) throw notFinished(download);
    const only = download.files.length === 1 ? download.files[0] : undefined;
    const resolveUrl = () => client.requestDownload(item, only?.id);
    const { openRemoteArchive } = await import('../http/openRemoteArchive.js');
    return await openRemoteArchive(await client.requestDownload(item, only?.id, signal), name, {
      downloads: options.downloads,
      http: { ...options.http, resolveUrl },
      room: options.room,
      password: options.password,
      signal,
    });
  } catch (error) {
    throw torboxRunError(name, error);
  }
}
