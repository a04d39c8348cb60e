import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchiveError, describeError } from '../errors.js';
import type { TelegramConnection } from '../telegram/connectTelegram.js';
import { type Archive, notAnArchive } from './archive.js';
import { detectFormat } from './detectFormat.js';
import type { HttpSourceConfig } from './http/remoteFile.js';
import type { DownloadRoom } from './http/roomForDownload.js';
import { isHttpUrl, redactUrl } from './http/redactUrl.js';
import { fileSource } from './randomAccess.js';
import { openSevenZipVolumes } from './sevenZip/openSevenZipVolumes.js';
import { openSourceArchive } from './sourceArchive.js';
import { isTelegramDocumentName, isTelegramVolumeSetName } from './telegram/telegramDocumentName.js';
import { isTorboxName } from './torbox/torboxName.js';
import { openZipVolumes } from './zipVolumes.js';

/** Options of {@link openArchive}. */
export interface OpenArchiveOptions {
  /**
   * Where a zip from a server without byte ranges is downloaded to be read (the pipeline passes
   * `<state>/downloads`). The copy is deleted by the archive's `close()`. Default:
   * `unspool-downloads` in the system's temp folder.
   */
  downloads?: string | undefined;
  /** Retries, waits and redirects of HTTP requests (addresses and Torbox downloads only). */
  http?: HttpSourceConfig | undefined;
  /** Free space to keep while downloading a zip from a server without ranges. Default: none checked. */
  room?: DownloadRoom | undefined;
  /**
   * The state folder, where `config.env` may hold the Telegram settings (`tg:` names only).
   * Default: the current folder.
   */
  state?: string | undefined;
  /**
   * How a `tg:` archive gets a logged-in connection. Default: log in with the settings of the
   * environment or `<state>/config.env`.
   */
  connectTelegram?: (() => Promise<TelegramConnection>) | undefined;
  /**
   * The password of an archive whose names are encrypted (7z, RAR), needed to list it at all.
   * Entries' own encryption gets the password through `entries()`. Default: none.
   */
  password?: string | undefined;
  /**
   * Ends the opening early: its requests, retries and waits (a `Retry-After`, free space for a
   * download) stop, and it rejects. Default: none.
   */
  signal?: AbortSignal | undefined;
}

/**
 * Opens an archive, telling its format from its first bytes (never its name): a local file, an
 * `http://` / `https://` address, read in place over byte ranges where the server allows, or a
 * Torbox download (`torbox:<id>`, `torbox:usenet:<id>`, `torbox:webdl:<id>`; see
 * `openTorboxArchive`), or a file posted in a Telegram chat (`tg:<chat>/<message-id>` or the
 * message's `t.me` link; see `openTelegramArchive`), or a volume set posted there as separate
 * files (`tg:<chat>/<id1>+<id2>+…`; see `openTelegramVolumes`).
 *
 * @param path The archive file, its address, its `torbox:` name, or its `tg:` name.
 * @param name The archive as the user named it, for messages. Default: `path`, an address with
 * its query string redacted.
 * @param options For addresses: the downloads folder and the HTTP settings; for `tg:` names, the
 * state folder.
 * @throws ArchiveError when the file cannot be read or is in none of the formats unspool reads.
 * @throws ConfigError for a malformed `torbox:` name, or a missing or refused Torbox key; for a
 * malformed `tg:` name, missing or refused Telegram settings, or a chat that cannot be found.
 */
export async function openArchive(path: string, name = isHttpUrl(path) ? redactUrl(path) : path, options: OpenArchiveOptions = {}): Promise<Archive> {
  // Before addresses: a message's t.me link is an address too.
  if (isTelegramDocumentName(path)) {
    const telegram = { state: options.state ?? '.', connect: options.connectTelegram, password: options.password, signal: options.signal };
    if (isTelegramVolumeSetName(path)) return (await import('./telegram/openTelegramVolumes.js')).openTelegramVolumes(path, name, telegram);
    const { openTelegramArchive } = await import('./telegram/openTelegramArchive.js');
    return openTelegramArchive(path, name, telegram);
  }
  if (isHttpUrl(path)) {
    const { openRemoteArchive } = await import('./http/openRemoteArchive.js');
    return openRemoteArchive(path, name, { downloads: options.downloads ?? join(tmpdir(), 'unspool-downloads'), http: options.http, room: options.room, password: options.password, signal: options.signal });
  }
  if (isTorboxName(path)) {
    const { openTorboxArchive } = await import('./torbox/openTorboxArchive.js');
    return openTorboxArchive(path, name, { downloads: options.downloads ?? join(tmpdir(), 'unspool-downloads'), http: options.http, room: options.room, password: options.password, signal: options.signal });
  }
  // Volumes are found by their names (only a set's first volume starts with its format's
  // signature); each kind of set is opened by its own reader.
  const volumes = (await openSevenZipVolumes(path, name, { signal: options.signal, password: options.password })) ?? (await openZipVolumes(path, name, options.signal));
  if (volumes) return volumes;
  let format;
  try {
    format = await detectFormat(path);
  } catch (error) {
    throw new ArchiveError(name, `cannot read: ${describeError(error)}`, { cause: error });
  }
  if (!format) throw new ArchiveError(name, notAnArchive);
  return openSourceArchive(fileSource(path), name, format, options.signal, options.password);
}
