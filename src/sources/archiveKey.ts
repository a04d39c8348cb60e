import type { RemoteOrigin } from './archive.js';
import { isHttpUrl, urlWithoutQuery } from './http/redactUrl.js';
import { telegramDocumentKeyOf } from './telegram/telegramDocumentName.js';
import { torboxKeyOf } from './torbox/torboxName.js';
import { zipVolumeSetKey } from './zipVolumeSet.js';

/**
 * The key an archive's state (manifest, lock, temp folder) is kept under, as its source names it,
 * from the same `path` the archive is opened with, before it is opened: the lock is taken first.
 *
 * A remote archive is keyed by its address without query string, so a signed link renewed with a
 * fresh token resumes the same delivery; a Torbox download by `torbox:<kind>:<id>`, whatever link
 * it is read through; a Telegram document by `tg:<chat>/<message-id>`, whether named so or by its
 * `t.me` link; a volume set of Telegram documents by `tg:<chat>/<id1>+<id2>+…`, its messages in
 * volume order (never the key of its first volume read alone); a volume of a split zip by its set's name (`x.zip` for `x.z01 … x.zip`, `x.zip.001`
 * for `x.zip.001 …`), whichever volume is named; any other local file by its path. `archivePaths`
 * resolves the key as a path: the leading `/` keeps an address from being resolved against the
 * current folder.
 *
 * @param path The archive file, its address, its `torbox:` name, or its `tg:` name.
 */
export function archiveStateKey(path: string): string {
  const telegram = telegramDocumentKeyOf(path);
  if (telegram) return `/${telegram}`;
  if (isHttpUrl(path)) return `/${urlWithoutQuery(path)}`;
  const torbox = torboxKeyOf(path);
  return torbox ? `/${torbox}` : (zipVolumeSetKey(path) ?? path);
}

/**
 * Where a manifest says a remote archive came from: its `torbox:` or `tg:` name, which outlive the
 * links it is read through, else the address it was read from (`remote.url`, without its query).
 *
 * @param path The name the archive was opened with.
 * @param remote What its source told of where it is read from.
 */
export function remoteArchivePath(path: string, remote: RemoteOrigin): string {
  return torboxKeyOf(path) ?? telegramDocumentKeyOf(path) ?? remote.url;
}
