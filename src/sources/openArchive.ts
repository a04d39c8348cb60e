import { ArchiveError, describeError } from '../errors.js';
import type { Archive } from './archive.js';
import { detectFormat } from './detectFormat.js';
import { fileSource } from './randomAccess.js';

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
    // Each reader is loaded only when its format is met: start-up and memory stay small.
    case 'zip':
      return (await import('./zipArchive.js')).openZip(fileSource(path), name);
    case 'tar':
    case 'tar.gz':
      return (await import('./tarArchive.js')).openTar(path, name, format === 'tar.gz');
    default:
      throw new ArchiveError(name, 'not a zip, tar or tar.gz archive');
  }
}
