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
 * The naming of the set a file name belongs to; `undefined` for a name that is no volume's.
 *
 * @param file A file name, without its folder.
 * @param exists Whether a file of that name is beside it: `x.rar` is the first of an old-style set
 * only when `x.r00` exists.
 */
export function volumeNaming(file: string, exists: (name: string) => boolean): VolumeNaming | undefined {
  const sevenZip = /^(.*\.7z)\.(\d{3,})$/i.exec(file);
  if (sevenZip) {
    const [, base, digits] = sevenZip as unknown as [string, string, string];
    return { format: '7z', name: (n) => `${base}.${String(n + 1).padStart(digits.length, '0')}` };
  }
  const parts = /^(.*\.part)(\d+)(\.rar)$/i.exec(file);
  if (parts) {
    const [, base, digits, extension] = parts as unknown as [string, string, string, string];
    return { format: 'rar', name: (n) => `${base}${String(n + 1).padStart(digits.length, '0')}${extension}` };
  }
  const oldStyle = /^(.*)\.(r\d\d|rar)$/i.exec(file);
  if (oldStyle) {
    const [, base, extension] = oldStyle as unknown as [string, string, string];
    const r = extension[0]!;
    const first = `${base}.${extension.toLowerCase() === 'rar' ? extension : `${r}${r === 'R' ? 'AR' : 'ar'}`}`;
    const naming: VolumeNaming = { format: 'rar', name: (n) => (n === 0 ? first : `${base}.${r}${String(n - 1).padStart(2, '0')}`) };
    if (exists(naming.name(1))) return naming;
  }
  return undefined;
}
