/**
 * How a Torbox download is named on the command line: `torbox:<id>` for a torrent,
 * `torbox:usenet:<id>`, `torbox:webdl:<id>` (and `torbox:torrent:<id>`). This module does no I/O,
 * so the pipeline can load it for every run to key an archive's state without loading the client.
 */
import { ConfigError } from '../../errors.js';

/** The three kinds of download Torbox keeps, as its API names them in its paths. */
export type TorboxKind = 'torrent' | 'usenet' | 'webdl';

/** One download in a Torbox account. */
export interface TorboxItem {
  readonly kind: TorboxKind;
  /** Its id in Torbox (the number its API and download list give it). */
  readonly id: number;
}

/** The kind in words, for messages: `torrent`, `usenet download`, `web download`. */
export const kindInWords: Record<TorboxKind, string> = { torrent: 'torrent', usenet: 'usenet download', webdl: 'web download' };

/** Whether an archive argument names a Torbox download (`torbox:…`) rather than a path or an address. */
export function isTorboxName(text: string): boolean {
  return /^torbox:/i.test(text);
}

/**
 * The download a `torbox:` name stands for.
 *
 * ## Examples
 * ```ts
 * import { parseTorboxName } from './torboxName.js';
 * parseTorboxName('torbox:123'); // { kind: 'torrent', id: 123 }
 * parseTorboxName('torbox:usenet:7'); // { kind: 'usenet', id: 7 }
 * ```
 *
 * @param text `torbox:<id>`, `torbox:torrent:<id>`, `torbox:usenet:<id>` or `torbox:webdl:<id>`.
 * @throws ConfigError for anything else, saying how to write it.
 */
export function parseTorboxName(text: string): TorboxItem {
  const match = /^torbox:(?:(torrent|usenet|webdl):)?(\d{1,15})$/i.exec(text.trim());
  if (!match) {
    throw new ConfigError(
      `${text}: not a Torbox download; write torbox:<id> for a torrent, torbox:usenet:<id> or torbox:webdl:<id>, with the download's id in Torbox`,
    );
  }
  return { kind: (match[1]?.toLowerCase() ?? 'torrent') as TorboxKind, id: Number(match[2]) };
}

/**
 * What identifies a Torbox download across runs, whatever link it is read through:
 * `torbox:<kind>:<id>`. Its download links change (they expire), so they cannot key its state.
 *
 * @param text An archive argument.
 * @return The key, or `undefined` when `text` is not a well-formed `torbox:` name.
 */
export function torboxKeyOf(text: string): string | undefined {
  if (!isTorboxName(text)) return undefined;
  try {
    const { kind, id } = parseTorboxName(text);
    return `torbox:${kind}:${id}`;
  } catch {
    return undefined;
  }
}
