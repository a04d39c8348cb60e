import { setMemberOf, volumeNameOf } from '../volumeNames.js';

/**
 * How the volumes of a 7z or RAR set are named, told from the name of any one of them:
 * `x.7z.001, x.7z.002, …`; `x.part1.rar, x.part2.rar, …` (also `part01`, `part001`); and RAR's
 * old style `x.rar, x.r00, x.r01, …`.
 */
export interface VolumeNaming {
  /** `7z` or `rar`, as the names say (the first volume's bytes are checked as well). */
  readonly format: '7z' | 'rar';
  /** The name of volume `n`, from 0 (the first). */
  name(n: number): string;
}

/**
 * The naming of the set a file name belongs to; `undefined` for a name that is no volume's. The
 * names are read as the bot reads the files it is sent ({@link setMemberOf}): one reading of
 * volume names for the whole program.
 *
 * @param file A file name, without its folder.
 * @param exists Whether a file of that name is beside it: `x.rar` is the first of an old-style set
 * only when `x.r00` exists.
 */
export function volumeNaming(file: string, exists: (name: string) => boolean): VolumeNaming | undefined {
  const member = setMemberOf(file);
  if (member === undefined || member.spanned) return undefined;
  const format = volumeNameOf(member.main)?.format ?? 'rar';
  // 7-Zip's split of a zip (`x.zip.001`) is read as a zip (zipVolumes.ts); of a RAR, not yet.
  if (format === 'zip' || (format === 'rar' && /\.\d{3,}$/.test(member.main))) return undefined;
  const naming: VolumeNaming = { format, name: (n) => member.nameOf(n + 1) };
  return volumeNameOf(file) !== undefined || exists(naming.name(1)) ? naming : undefined;
}
