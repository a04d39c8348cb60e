import type { EntryKind } from '../../entry.js';

/** One item of a 7z or RAR archive, as 7-Zip's technical listing (`l -slt`) describes it. */
export interface SevenZipItem {
  /** Position in the listing, from 0: the order 7-Zip extracts in. */
  readonly index: number;
  /** `Path`, as 7-Zip prints it (UTF-8, `/` between folders). */
  readonly name: string;
  readonly size: number;
  /** `Packed Size`, when the listing gives one. */
  readonly packedSize?: number;
  readonly kind: EntryKind;
  /** `CRC`, when the listing gives one. */
  readonly crc32?: number;
  readonly encrypted: boolean;
  /** `Method`, e.g. `LZMA2:24 7zAES:19`; empty for folders and empty files. */
  readonly method: string;
}

/** What 7-Zip's technical listing tells about an archive and its items. */
export interface SevenZipListing {
  /** The archive's own fields (`Type`, `Method`, `Solid`, `Blocks`, …), but for its `Path`. */
  readonly archive: Readonly<Record<string, string>>;
  readonly items: readonly SevenZipItem[];
}

/** A block of `Key = Value` lines as a record; a key seen twice keeps its first value. */
function fields(block: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const line of block) {
    const at = line.indexOf(' = ');
    const key = at < 0 ? line.replace(/ =$/, '') : line.slice(0, at);
    if (!(key in record)) record[key] = at < 0 ? '' : line.slice(at + 3);
  }
  return record;
}

/**
 * What an item is, from its attributes (`D drwxr-xr-x`, `A -rw-r--r--`, `A lrwxrwxrwx`) and, for
 * RAR, its `Folder` and link fields. Windows attributes alone tell a folder from a file.
 */
function kindOf(record: Record<string, string>): EntryKind {
  if (record['Folder'] === '+') return 'directory';
  if (record['Symbolic Link']) return 'symlink';
  if (record['Hard Link']) return 'hardlink';
  const attributes = record['Attributes'] ?? '';
  const mode = /(?:^|\s)([-dlcbps])[-rwxsStT]{9}/.exec(attributes)?.[1];
  if (mode === 'd') return 'directory';
  if (mode === 'l') return 'symlink';
  if (mode && mode !== '-') return 'other';
  if (/^[A-Z]*D/.test(attributes)) return 'directory';
  return 'file';
}

const optionalNumber = (text: string | undefined) => (text ? Number(text) : undefined);

/** An item record of the listing as a {@link SevenZipItem}. */
function itemOf(record: Record<string, string>, index: number): SevenZipItem {
  const packedSize = optionalNumber(record['Packed Size']);
  const crc = record['CRC'];
  return {
    index,
    name: record['Path'] ?? '',
    size: Number(record['Size'] || 0),
    ...(packedSize !== undefined && { packedSize }),
    kind: kindOf(record),
    ...(crc && /^[0-9A-F]{8}$/i.test(crc) && { crc32: parseInt(crc, 16) }),
    encrypted: record['Encrypted'] === '+',
    method: record['Method'] ?? '',
  };
}

/**
 * Reads 7-Zip's technical listing (`7zz l -slt`, what it prints to stdout): the archive's block
 * after the `--` line, and one block per item after the `----------` line, blocks being separated
 * by blank lines. Lines before `--` (the banner, the scan) are not part of it.
 *
 * @param text The listing as printed.
 * @return `undefined` when the text holds no listing (7-Zip could not open the archive).
 */
export function parseSevenZipListing(text: string): SevenZipListing | undefined {
  const lines = text.split(/\r?\n/);
  const start = lines.indexOf('--');
  if (start < 0) return undefined;
  const itemsStart = lines.indexOf('----------', start);
  const archiveBlock = lines.slice(start + 1, itemsStart < 0 ? undefined : itemsStart).filter((line) => line.includes(' ='));
  const { Path: _path, ...archive } = fields(archiveBlock);
  void _path;
  const items: SevenZipItem[] = [];
  if (itemsStart >= 0) {
    let block: string[] = [];
    for (const line of [...lines.slice(itemsStart + 1), '']) {
      if (line !== '') {
        block.push(line);
        continue;
      }
      if (block.length > 0 && block.some((field) => field.startsWith('Path = '))) items.push(itemOf(fields(block), items.length));
      block = [];
    }
  }
  return { archive, items };
}
