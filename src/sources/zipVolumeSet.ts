import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileSource } from './randomAccess.js';
import { readZipEnd } from './zipEndRecord.js';

/** One volume of a split zip. */
export interface ZipVolume {
  /** The file it is in (or would be in, when missing), beside the one the user named. */
  readonly path: string;
  /** Its size; for a missing volume, the size of the set's other full volumes, so later ones keep their offsets. */
  readonly size: number;
  readonly missing: boolean;
}

/**
 * A zip split into volumes, found from any one of them:
 *
 * - `spanned`: PKWARE's split zip, `x.z01, x.z02, …, x.zip`. Each volume is a disk; the central
 *   directory gives each entry's disk and its offset on that disk, and the end record, in `x.zip`,
 *   the number of the last disk.
 * - `pieces`: a whole zip cut into pieces, `x.zip.001, x.zip.002, …` (7-Zip's `-v`): the pieces one
 *   after another are the zip, and its offsets count from the first.
 */
export interface ZipVolumeSet {
  readonly kind: 'spanned' | 'pieces';
  /** The volumes in order, missing ones included (but a missing last piece cannot be known of). */
  readonly volumes: readonly ZipVolume[];
}

/** A name of a spanned set (`x.z01` or `x.zip`), or of a piece (`x.zip.001`): its stem and number. */
const spannedName = /^(.*)\.(z)(\d{2,})$/i;
const lastSpannedName = /^(.*)\.(zip)$/i;
const pieceName = /^(.*\.zip)\.(\d{3,})$/i;

/**
 * The key a volume set's state is kept under, whichever volume the user names: `x.zip` for
 * `x.z01 … x.zip`, and `x.zip.001` for `x.zip.001 …`; `undefined` for any other name. It is told
 * from the name alone (the state is keyed before the archive is opened), so a file that is only
 * named like a volume is keyed as its set would be, which is harmless.
 *
 * @param path A local file.
 */
export function zipVolumeSetKey(path: string): string | undefined {
  const spanned = spannedName.exec(path);
  if (spanned) return `${spanned[1]}.${spanned[2] === 'Z' ? 'ZIP' : 'zip'}`;
  const piece = pieceName.exec(path);
  return piece ? `${piece[1]}.${'1'.padStart(piece[2]!.length, '0')}` : undefined;
}

/** The size of a file, or `undefined` when there is none. */
async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then(
    (stats) => stats.size,
    () => undefined,
  );
}

/** Volumes from their paths and sizes; a missing one gets the size of the first full volume present. */
function volumesOf(paths: readonly string[], sizes: readonly (number | undefined)[]): ZipVolume[] {
  const full = sizes.slice(0, -1).find((size) => size !== undefined) ?? 0;
  return paths.map((path, i) => ({ path, size: sizes[i] ?? full, missing: sizes[i] === undefined }));
}

/** The files beside `path`, by their lower-cased names: volumes are found whatever their case. */
async function filesBeside(path: string): Promise<Map<string, string>> {
  const names = await readdir(dirname(path)).catch(() => []);
  return new Map(names.map((name) => [name.toLowerCase(), join(dirname(path), name)]));
}

/** The pieces `x.zip.001 …` up to the highest number present beside `path`. */
async function findPieces(path: string, stem: string, digits: number): Promise<ZipVolumeSet> {
  const prefix = `${basename(stem)}.`.toLowerCase();
  let last = 0;
  for (const name of (await filesBeside(path)).keys()) {
    const number = name.slice(prefix.length);
    if (name.startsWith(prefix) && number.length === digits && /^\d+$/.test(number)) last = Math.max(last, Number(number));
  }
  const paths = Array.from({ length: last }, (_, i) => `${stem}.${String(i + 1).padStart(digits, '0')}`);
  return { kind: 'pieces', volumes: volumesOf(paths, await Promise.all(paths.map(sizeOf))) };
}

/** Why a spanned set cannot be found: the message of an `ArchiveError`. */
export class ZipVolumeSetError extends Error {
  override readonly name = 'ZipVolumeSetError';
}

/** The disks `x.z01 … x.zip` of the spanned set that `x.zip`'s end record says there are. */
async function findSpanned(path: string, stem: string, z: string, namedLast: boolean): Promise<ZipVolumeSet | undefined> {
  const beside = await filesBeside(path);
  const find = (extension: string) => beside.get(`${basename(stem)}.${extension}`.toLowerCase()) ?? `${stem}.${z === 'Z' ? extension.toUpperCase() : extension}`;
  const last = find('zip');
  // A lone x.zip is an ordinary zip, read the ordinary way (which refuses it if it says it is a disk of a set).
  if (namedLast && !beside.has(`${basename(stem)}.z01`.toLowerCase())) return undefined;
  const lastSize = await sizeOf(last);
  if (lastSize === undefined) throw new ZipVolumeSetError(`missing volume ${last}: the last volume of a split zip holds its central directory`);
  const end = await readZipEnd(fileSource(last), lastSize).catch(() => undefined);
  if (end === undefined) throw new ZipVolumeSetError(`${last} has no end of central directory: it is not the last volume of a split zip, or it is cut short`);
  if (end.lastDisk === 0) {
    if (namedLast) return undefined;
    throw new ZipVolumeSetError(`${last} is a whole zip, not the last volume of a split zip: name it alone`);
  }
  const paths = [...Array.from({ length: end.lastDisk }, (_, i) => find(`z${String(i + 1).padStart(2, '0')}`)), last];
  return { kind: 'spanned', volumes: volumesOf(paths, await Promise.all(paths.map(sizeOf))) };
}

/**
 * Finds the split zip that a local file is a volume of, from its name and the files beside it:
 * `x.z01 … x.zip` (spanned: how many volumes, `x.zip`'s end record says) or `x.zip.001 …` (pieces).
 * A lone `x.zip` (no `x.z01` beside it) is no set.
 *
 * @param path The file the user named.
 * @return The set, or `undefined` when `path` is not named as a volume of one.
 * @throws ZipVolumeSetError when the set's last volume is missing, or is not one.
 */
export async function findZipVolumeSet(path: string): Promise<ZipVolumeSet | undefined> {
  const piece = pieceName.exec(path);
  if (piece) return findPieces(path, piece[1]!, piece[2]!.length);
  const disk = spannedName.exec(path);
  if (disk) return findSpanned(path, disk[1]!, disk[2]!, false);
  const last = lastSpannedName.exec(path);
  return last ? findSpanned(path, last[1]!, last[2]![0]!, true) : undefined;
}
