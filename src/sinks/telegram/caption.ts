import { basename } from 'node:path';

/** Telegram's caption limit for accounts without Premium, in characters (UTF-16 code units). */
export const captionLimit = 1024;

/** What a caption template can name. */
export interface CaptionFields {
  /** The entry's path inside the archive, as stored. */
  readonly path: string;
  /** The archive as the user named it. */
  readonly archive: string;
  /** The entry's position in the archive, from 1. */
  readonly index: number;
  /** Entries in the archive, if known. */
  readonly total: number | undefined;
}

/** The placeholders a `--caption` template may use. */
export const captionPlaceholders = ['name', 'path', 'archive', 'index', 'total'] as const;

/**
 * Fills a caption template: `{name}` (the entry's base name), `{path}` (its path in the archive),
 * `{archive}` (the archive's file name), `{index}` (from 1) and `{total}` (`?` when unknown). The
 * result is cut to Telegram's limit, ending with `…` when cut. Unknown `{words}` stay as written.
 */
export function caption(template: string, fields: CaptionFields): string {
  const values: Record<string, string> = {
    name: basename(fields.path.replaceAll('\\', '/')),
    path: fields.path,
    archive: basename(fields.archive),
    index: String(fields.index),
    total: fields.total === undefined ? '?' : String(fields.total),
  };
  const text = template.replace(/\{(\w+)\}/g, (whole, word: string) => values[word] ?? whole);
  if (text.length <= captionLimit) return text;
  // Never between the two halves of a character outside the BMP (an emoji): a lone half is not text.
  let end = captionLimit - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}
