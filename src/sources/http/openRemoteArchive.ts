import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Observable } from 'rxjs';
import type { Entry } from '../../entry.js';
import { ArchiveError, describeError, UnreachableError } from '../../errors.js';
import { type Archive, closingWith, notAnArchive, type RemoteOrigin } from '../archive.js';
import { fileSource } from '../randomAccess.js';
import { formatOfSource, openSourceArchive } from '../sourceArchive.js';
import { downloadToFile } from './downloadToFile.js';
import { type DownloadRoom, roomForDownload } from './roomForDownload.js';
import { type HttpSource, openHttpSource } from './httpSource.js';
import { urlWithoutQuery } from './redactUrl.js';
import type { HttpSourceConfig } from './remoteFile.js';

/** Options of {@link openRemoteArchive}. */
export interface RemoteArchiveOptions {
  /** The folder for copies of zips, 7z and RAR archives from servers without byte ranges (`<state>/downloads`). */
  readonly downloads: string;
  /** Retries, waits and redirects of the HTTP requests, and how to renew a link that expires. */
  readonly http?: HttpSourceConfig | undefined;
  /** Free space to keep while downloading an archive from a server without ranges. Default: none checked. */
  readonly room?: DownloadRoom | undefined;
  /** The password of a 7z or RAR archive whose names are encrypted, needed to list it. Default: none. */
  readonly password?: string | undefined;
  /** Ends the opening early: its requests, retries and waits. Default: none. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs one step of opening, as an {@link ArchiveError} if it fails. The step is raced against the
 * source's fatal failures, because one of the streams `unzipper` reads has no error handler: its
 * failure arrives only through `onFatal`.
 */
async function opening<T>(name: string, source: HttpSource | undefined, step: () => Promise<T>): Promise<T> {
  let stop = () => {};
  const failed = new Promise<never>((_, reject) => {
    if (source) stop = source.onFatal(reject);
  });
  try {
    return await Promise.race([step(), failed]);
  } catch (error) {
    throw error instanceof ArchiveError || error instanceof UnreachableError ? error : new ArchiveError(name, `cannot read: ${describeError(error)}`, { cause: error });
  } finally {
    stop();
  }
}

/**
 * The archive, its entries ended with an {@link ArchiveError} as soon as the source fails for
 * good (the file changed, a final status, attempts used up). The Observable errors before the
 * entry being read does, so that entry is abandoned rather than recorded as failed: the run stops,
 * and the next run reads it again.
 */
function stoppingOnFailure(archive: Archive, source: HttpSource, remote: RemoteOrigin): Archive {
  return {
    ...archive,
    remote,
    async close() {
      source.release();
      await archive.close?.();
    },
    entries: (config) =>
      new Observable<Entry>((subscriber) => {
        // Out of reach is not unreadable: the run stops to be resumed, and says so.
        const stop = source.onFatal((error) =>
          subscriber.error(error instanceof UnreachableError ? error : new ArchiveError(archive.name, describeError(error), { cause: error })),
        );
        const subscription = archive.entries(config).subscribe(subscriber);
        return () => {
          stop();
          subscription.unsubscribe();
        };
      }),
  };
}

/**
 * An archive that must be read out of order (zip, 7z, RAR) from a server without ranges: downloaded
 * whole into `downloads` (once there is room for it), read there, deleted by `close`.
 */
async function openDownloaded(
  source: HttpSource,
  name: string,
  format: 'zip' | '7z' | 'rar',
  remote: RemoteOrigin,
  options: RemoteArchiveOptions,
): Promise<Archive> {
  const { downloads, room, signal } = options;
  await mkdir(downloads, { recursive: true });
  if (room) await roomForDownload(downloads, await source.size(), room, name, signal);
  const file = join(downloads, `${createHash('sha256').update(remote.url).digest('hex').slice(0, 16)}.${format}`);
  try {
    await opening(name, source, () => downloadToFile(source, file, {}, signal));
    const archive = await opening(name, undefined, () => openSourceArchive(fileSource(file), name, format, signal, options.password));
    return closingWith(archive, remote, () => rm(file, { force: true }));
  } catch (error) {
    await rm(file, { force: true });
    throw error;
  }
}

/**
 * Opens an archive at an `http(s)` address, telling its format from its first bytes. A zip is
 * read in place through byte ranges (central directory, then each entry's own range), or, from a
 * server without ranges, downloaded into `downloads` first and deleted by `close()`. A tar or
 * tar.gz is read straight through: one ranged GET, or the plain body. From a server without
 * ranges, the probe's own answer is read on rather than asked again (for a download as for a
 * tar), so the archive travels the wire once; `close()` lets go of it if no read took it on. See
 * `openHttpSource` for retries, redirects and changed files.
 *
 * @param url The address (it may hold a token in its query string: it is never shown).
 * @param name The archive as it may be shown (the address redacted).
 * @param options The downloads folder, the HTTP settings, and the signal that ends the opening.
 * @throws ArchiveError when the file cannot be fetched or is in none of the formats unspool reads.
 */
export async function openRemoteArchive(url: string, name: string, options: RemoteArchiveOptions): Promise<Archive> {
  const { signal } = options;
  const source = await opening(name, undefined, () => openHttpSource(url, options.http, signal));
  const remote: RemoteOrigin = {
    url: urlWithoutQuery(url),
    ranged: source.ranged,
    ...(source.etag !== undefined ? { etag: source.etag } : {}),
    ...(source.lastModified !== undefined ? { lastModified: source.lastModified } : {}),
    get bytesFetched() {
      return source.bytesFetched;
    },
  };
  try {
    // A self-extracting zip is told by its end: only where ranges reach it without the rest.
    const format = await opening(name, source, () => formatOfSource(source, signal, source.ranged));
    if (!format) throw new ArchiveError(name, notAnArchive);
    // Zip, 7z and RAR are read out of order (7-Zip seeks even in a RAR): without ranges, a copy is needed.
    if ((format === 'zip' || format === '7z' || format === 'rar') && !source.ranged) return await openDownloaded(source, name, format, remote, options);
    return stoppingOnFailure(await opening(name, source, () => openSourceArchive(source, name, format, signal, options.password)), source, remote);
  } catch (error) {
    // The probe's answer, kept open for a read from the start that will not come.
    source.release();
    throw error;
  }
}
