/** Longest file name most file systems take, in UTF-8 bytes. */
const maxNameBytes = 255;
/** Room left for a ` (12)` suffix that makes a name unique. */
const suffixRoom = 8;

const forbidden = /[\u0000-\u001f\u007f<>:"/\\|?*]/g;
const windowsReserved = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

function truncateUtf8(text: string, bytes: number): string {
  let out = '';
  let used = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (used + size > bytes) break;
    out += char;
    used += size;
  }
  return out;
}

/**
 * A file name for an entry that is safe on any file system: the entry's base name (after the last
 * `/` or `\`) without control or reserved characters, never `.` or `..` or hidden, at most 255
 * bytes with the extension kept.
 *
 * @param entryName The entry's name as stored in the archive.
 * @param fallback A name to use when nothing usable is left (such as `entry-12`).
 */
export function safeFileName(entryName: string, fallback: string): string {
  const base = entryName.slice(Math.max(entryName.lastIndexOf('/'), entryName.lastIndexOf('\\')) + 1);
  let name = base.normalize('NFC').replace(forbidden, '_').replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  if (name === '' || windowsReserved.test(name)) name = name === '' ? fallback : `_${name}`;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const stem = extension ? name.slice(0, dot) : name;
  const room = maxNameBytes - suffixRoom - Buffer.byteLength(extension);
  return truncateUtf8(stem, room) + extension;
}

/**
 * Makes `name` unique among `taken` (compared case-insensitively, for case-insensitive file
 * systems) by adding ` (2)`, ` (3)`, … before the extension, and records it as taken.
 */
export function uniqueFileName(name: string, taken: Set<string>): string {
  const dot = name.lastIndexOf('.');
  const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  let candidate = name;
  for (let n = 2; taken.has(candidate.toLowerCase()) || candidate.toLowerCase() === 'album.json'; n++) {
    candidate = `${stem} (${n})${extension}`;
  }
  taken.add(candidate.toLowerCase());
  return candidate;
}
