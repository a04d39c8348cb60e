import { ArchiveError, describeError } from '../errors.js';
import type { Archive } from './archive.js';
import { detectFormat } from './detectFormat.js';
import { fileSource } from './randomAccess.js';
import { openTar } from './tarArchive.js';
import { openZip } from './zipArchive.js';

/**
 * Opens a local archive, telling its format from its first bytes (never its name).
 *
 * @param path The archive file.
 * @param name The archive as the user named it, for messages. Default: `path`.
 * @throws ArchiveError when the file cannot be read or is not a zip, tar or tar.gz archive.
 */
export async function openArchive(path: string, name = path): Promise<Archive> {
  let format;
  try {
    format = await detectFormat(path);
  } catch (error) {
    throw new ArchiveError(name, `cannot read: ${describeError(error)}`, { cause: error });
  }
  switch (format) {
    case 'zip':
      return openZip(fileSource(path), name);
    case 'tar':
    case 'tar.gz':
      return openTar(path, name, format === 'tar.gz');
    default:
      throw new ArchiveError(name, 'not a zip, tar or tar.gz archive');
  }
}
