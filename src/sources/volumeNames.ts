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
    // Three digits at least (`x.7z.1000` follows `x.7z.999`); a wider name padded with zeros
    // (`x.7z.0002`) keeps its width.
    name: /^(.+\.(7z|zip|rar))\.(\d{3,})$/i,
    read: ([, archive, ext, digits]) => ({
      format: ext!.toLowerCase() as VolumeName['format'],
      number: Number(digits),
      main: `${archive}.${'1'.padStart(digits!.startsWith('0') ? digits!.length : 3, '0')}`,
    }),
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

/**
 * A file as a member of a set that may be sent as separate files: which set (its main volume's
 * name), its place, and how the set's other volumes are named. Besides the names of
 * {@link volumeNameOf}, a plain `x.rar` counts as the first volume of an old-style set (`x.rar`,
 * `x.r00`, …) and a plain `x.zip` as the last of a spanned one (`x.z01`, …, `x.zip`): each may be
 * a whole archive too, which only the files that come with it tell.
 */
export interface SetMember {
  /** The name the set is known by: {@link VolumeName.main}, or the file's own for `x.rar` and `x.zip`. */
  readonly main: string;
  /** Its place from 1, or `last` for the `x.zip` that ends a spanned zip (its number is unknown until the others are in). */
  readonly number: number | 'last';
  /** Whether the set is a spanned zip, ended by `main`, whatever number its volumes reach. */
  readonly spanned: boolean;
  /** The file name of volume `number` of the set (from 1), in this file's spelling. */
  nameOf(number: number): string;
}

const pad = (number: number, digits: number) => String(number).padStart(digits, '0');

/**
 * The set a file may belong to, by its name; `undefined` for a file that is no volume and no
 * `x.rar` or `x.zip`.
 *
 * @param fileName The file's name, without folders.
 */
export function setMemberOf(fileName: string): SetMember | undefined {
  const volume = volumeNameOf(fileName);
  const plain = /^(.+)\.(rar|zip)$/i.exec(fileName);
  if (!volume && !plain) return undefined;
  const main = volume?.main ?? fileName;
  const parts = /^(.+\.part)(\d+)(\.rar)$/i.exec(main);
  if (parts) return { main, number: volume!.number, spanned: false, nameOf: (n) => `${parts[1]}${pad(n, parts[2]!.length)}${parts[3]}` };
  const pieces = /^(.+)\.(\d{3,})$/.exec(main);
  if (pieces) return { main, number: volume!.number, spanned: false, nameOf: (n) => `${pieces[1]}.${pad(n, pieces[2]!.length)}` };
  const [, base, extension] = /^(.+)\.(rar|zip)$/i.exec(main)!;
  const upper = extension === extension!.toUpperCase();
  if (extension!.toLowerCase() === 'zip') {
    return { main, number: volume?.number ?? 'last', spanned: true, nameOf: (n) => `${base}.${upper ? 'Z' : 'z'}${pad(n, 2)}` };
  }
  // RAR's old naming: `x.rar` is 1, `x.r00` 2 … `x.r99` 101, then `x.s00`.
  const oldStyle = (n: number) => (n === 1 ? main : `${base}.${n - 2 >= 100 ? (upper ? 'S' : 's') : upper ? 'R' : 'r'}${pad((n - 2) % 100, 2)}`);
  return { main, number: volume?.number ?? 1, spanned: false, nameOf: oldStyle };
}
