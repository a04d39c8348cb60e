import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sevenZipModule, { type SevenZipModuleFactory } from '7z-wasm';

// 7z-wasm is CommonJS whose types declare an ES default export: Node hands over `module.exports`.
const SevenZip = sevenZipModule as unknown as SevenZipModuleFactory;

/** A file or an empty folder to archive: a folder is a name ending in `/` and no data. */
export interface ArchivedFile {
  readonly name: string;
  readonly data?: Uint8Array;
}

/**
 * Writes a 7z archive of `files`, in that order, with real 7-Zip (7z-wasm) and its switches
 * (`-ms=on`, `-m0=PPMd`, `-mhe=on -pSecret`, `-v100k`, …), into `folder` as `name` (or
 * `name.001`, `name.002`, … with `-v`).
 *
 * @param renames Items renamed in the archive after it is written (7-Zip's `rn`), old name then
 * new: a name that another item has makes two items of one name, which 7-Zip allows.
 * @return The files written, sorted by name.
 */
export async function writeSevenZip(folder: string, name: string, files: readonly ArchivedFile[], switches: readonly string[] = [], renames: readonly (readonly [string, string])[] = []): Promise<string[]> {
  const output: string[] = [];
  const sevenZip = await SevenZip({ print: (line: string) => output.push(line), printErr: (line: string) => output.push(line) });
  const { FS } = sevenZip;
  FS.mkdir('/in');
  FS.mkdir('/out');
  FS.chdir('/in');
  const made = new Set<string>();
  const mkdirs = (path: string) => {
    const parts = path.split('/').filter(Boolean);
    for (let n = 1; n <= parts.length; n++) {
      const folderPath = parts.slice(0, n).join('/');
      if (!made.has(folderPath)) FS.mkdir(folderPath);
      made.add(folderPath);
    }
  };
  for (const file of files) {
    if (file.name.endsWith('/')) mkdirs(file.name);
    else {
      mkdirs(file.name.split('/').slice(0, -1).join('/'));
      FS.writeFile(file.name, file.data ?? new Uint8Array());
    }
  }
  const roots = [...new Set(files.map((file) => file.name.split('/')[0]!))];
  sevenZip.callMain(['a', '-t7z', '-bd', '-sccUTF-8', '-scsUTF-8', ...switches, `/out/${name}`, ...roots]);
  if (renames.length > 0) sevenZip.callMain(['rn', '-bd', '-sccUTF-8', `/out/${name}`, ...renames.flat()]);
  const written = FS.readdir('/out').filter((file) => file !== '.' && file !== '..').sort();
  if (written.length === 0) throw new Error(`7-Zip wrote no archive:\n${output.join('\n')}`);
  for (const file of written) await writeFile(join(folder, file), FS.readFile(`/out/${file}`));
  return written.map((file) => join(folder, file));
}
