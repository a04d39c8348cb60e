/**
 * A file that is one volume of an archive split into several, as its name tells: its format, its
 * place in the set, and the volume the whole set is opened by.
 */
export interface VolumeName {
  readonly format: '7z' | 'rar' | 'zip';
  /** Its place in the set, from 1 (`x.part3.rar` is 3, `x.r00` is 2 after `x.rar`, `x.z01` is 1). */
  readonly number: number;
  /**
   * The file name the whole set is opened by, in this file's spelling: the first volume
   * (`x.part1.rar`, `x.7z.001`, `x.rar` before `x.r00`), or, for a zip split by zip itself
   * (`x.z01`, `x.z02`, …), the `x.zip` that ends it and holds its directory.
   */
  readonly main: string;
}

/**
 * The names volume sets take, each with how to read a name's place and its set's main file.
 * RAR's old naming goes `x.rar`, `x.r00` … `x.r99`, then `x.s00`: the letter counts hundreds.
 */
const patterns: readonly { readonly name: RegExp; readonly read: (match: RegExpExecArray) => VolumeName }[] = [
  {
    name: /^(.+)\.(part)(\d+)\.(rar)$/i,
    read: ([, base, part, digits, rar]) => ({ format: 'rar', number: Number(digits), main: `${base}.${part}${'1'.padStart(digits!.length, '0')}.${rar}` }),
  },
  {
    // 7-Zip's split (`-v`), which cuts any file, a 7z, zip or RAR archive among them, into pieces.
    name: /^(.+\.(7z|zip|rar))\.(\d{3})$/i,
    read: ([, archive, ext, digits]) => ({ format: ext!.toLowerCase() as VolumeName['format'], number: Number(digits), main: `${archive}.001` }),
  },
  {
    name: /^(.+)\.([rs])(\d\d)$/i,
    read: ([, base, letter, digits]) => ({
      format: 'rar',
      number: (letter!.toLowerCase() === 's' ? 100 : 0) + Number(digits) + 2,
      main: `${base}.${letter === letter!.toLowerCase() ? 'rar' : 'RAR'}`,
    }),
  },
  {
    name: /^(.+)\.(z)(\d\d)$/i,
    read: ([, base, letter, digits]) => ({ format: 'zip', number: Number(digits), main: `${base}.${letter === 'Z' ? 'ZIP' : 'zip'}` }),
  },
];

/**
 * Reads a file name as one volume of a set (`x.part2.rar`, `x.7z.002`, `x.r00`, `x.z01`,
 * `x.zip.001`), or `undefined` when the name says nothing of a set. A set's `x.rar` or `x.zip`
 * itself looks like any single archive, and is `undefined` too: only the other names show a set.
 *
 * @param fileName The file's name, without folders.
 * @return Its format, place and main volume; `undefined` for a name that is no volume's.
 */
export function volumeNameOf(fileName: string): VolumeName | undefined {
  for (const { name, read } of patterns) {
    const match = name.exec(fileName);
    if (!match) continue;
    const volume = read(match);
    // `x.part0.rar` or `x.7z.000` is nobody's volume: sets count from 1 (an old RAR's `x.r00` is 2).
    return volume.number >= 1 ? volume : undefined;
  }
  return undefined;
}

/**
 * Whether a file is a volume that cannot be read without the others before it: every volume but
 * the one the set is opened by.
 */
export function isLaterVolume(fileName: string): boolean {
  const volume = volumeNameOf(fileName);
  return volume !== undefined && volume.main !== fileName;
}
