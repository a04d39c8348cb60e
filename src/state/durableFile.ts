import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** Makes a rename in a folder durable. Some file systems (and Windows) cannot fsync a folder. */
async function fsyncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch (error) {
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF', 'ENOTSUP'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes a file durably: to a temp file that is fsynced and renamed over the old one (by
 * `write-file-atomic`), then the folder is fsynced so that the rename itself survives a power cut.
 * Whenever the process dies, the file on disk is the old one or the new one, whole. Manifests and
 * the bot's queue are written this way.
 *
 * @param file The file to replace.
 * @param text Its new contents.
 * @param onTempFile Called once the temp file exists (the crash tests stop the process there).
 */
export async function writeFileDurably(file: string, text: string, onTempFile?: () => void): Promise<void> {
  const folder = dirname(file);
  await mkdir(folder, { recursive: true });
  await writeFileAtomic(file, text, { fsync: true, ...(onTempFile ? { tmpfileCreated: onTempFile } : {}) });
  await fsyncFolder(folder);
}
