import { writeTar, writeTarGz } from '../support/tarFixtures.js';
import { jpegBytes, mp3Bytes, mp4Bytes, pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { writeZip } from '../support/zipFixtures.js';
import { seededRandom } from './seededRandom.js';

/** The formats the crash tests run over. */
export type ArchiveKind = 'zip' | 'tar' | 'tar.gz';

/** One file of a {@link mixedFiles} archive, with the hash that its delivered copy must have. */
export interface ArchivedFile {
  readonly name: string;
  readonly data: Buffer;
  readonly sha256: string;
}

/** Makers of each kind of file: photos, videos, songs, binary and text documents. */
const kinds = [
  { folder: 'camera', extension: 'jpg', bytes: jpegBytes },
  { folder: 'camera', extension: 'mp4', bytes: mp4Bytes },
  { folder: 'music', extension: 'mp3', bytes: mp3Bytes },
  { folder: 'papers', extension: 'pdf', bytes: pseudoRandomBytes },
  { folder: 'notes', extension: 'txt', bytes: textBytes },
] as const;

/**
 * `count` small files of mixed media (photos, videos, audio, documents) in a seeded order, each a
 * few KB of bytes of its own, so that a file delivered twice, or in place of another, is noticed.
 * Every fifth file has the base name of the one before it, in a `copy/` folder, so that album
 * folders meet clashing base names. The same `seed` always gives the same files.
 *
 * @param count How many files.
 * @param seed Decides the order, sizes and bytes.
 */
export function mixedFiles(count: number, seed: string): ArchivedFile[] {
  // FNV-1a of the seed text: a number for the random generator.
  const random = seededRandom([...seed].reduce((hash, char) => Math.imul(hash ^ char.charCodeAt(0), 16_777_619), 2_166_136_261));
  const files: ArchivedFile[] = [];
  let kind: (typeof kinds)[number] = kinds[0];
  for (let i = 0; i < count; i++) {
    const copy = i % 5 === 4;
    if (!copy) kind = kinds[random.int(0, kinds.length - 1)]!;
    const base = `item-${String(copy ? i - 1 : i).padStart(4, '0')}.${kind.extension}`;
    const data = kind.bytes(random.int(500, 6_000), `${seed}-${i}`);
    files.push({ name: `${kind.folder}/${copy ? 'copy/' : ''}${base}`, data, sha256: sha256(data) });
  }
  return files;
}

/**
 * Writes files as a zip (deflated, by yazl), tar or tar.gz (by tar-stream), in the order given.
 *
 * @param kind The format.
 * @param path Where to write it.
 * @param files The files.
 */
export async function writeArchive(kind: ArchiveKind, path: string, files: readonly ArchivedFile[]): Promise<void> {
  switch (kind) {
    case 'zip':
      return writeZip(path, files);
    case 'tar':
      await writeTar(path, files);
      return;
    case 'tar.gz':
      await writeTarGz(path, files);
      return;
  }
}
