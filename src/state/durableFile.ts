import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

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

/** Writes `text` to a new file `temp` and fsyncs it; a folder that is missing is made first. */
async function writeTemp(temp: string, text: string, onTempFile: (() => void) | undefined): Promise<void> {
  const file = await open(temp, 'wx').catch(async (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(temp), { recursive: true });
    return open(temp, 'wx');
  });
  try {
    onTempFile?.();
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** The last write asked for, per file: the next one starts after it, so they land in order. */
const writing = new Map<string, Promise<void>>();

/**
 * Writes a file durably: to a temp file beside it (`<file>.<8 hex digits>`) that is fsynced and
 * renamed over the old one, then the folder is fsynced so that the rename itself survives a power
 * cut. Whenever the process dies, the file on disk is the old one or the new one, whole; a temp
 * file may be left beside it. Writes of one file start in the order they are asked for. Manifests
 * and the bot's queue are written this way.
 *
 * This is what `write-file-atomic` with `fsync` does, less what unspool's files do not need (the
 * real path of a link, the owner and mode of the file replaced): about half the file-system calls
 * of a save, which the pipeline waits for twice per album.
 *
 * @param file The file to replace.
 * @param text Its new contents.
 * @param onTempFile Called once the temp file exists (the crash tests stop the process there).
 */
export async function writeFileDurably(file: string, text: string, onTempFile?: () => void): Promise<void> {
  const write = async () => {
    const temp = `${file}.${randomBytes(4).toString('hex')}`;
    try {
      await writeTemp(temp, text, onTempFile);
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await fsyncFolder(dirname(file));
  };
  const earlier = writing.get(file) ?? Promise.resolve();
  const done = earlier.catch(() => undefined).then(write);
  writing.set(file, done);
  try {
    await done;
  } finally {
    if (writing.get(file) === done) writing.delete(file);
  }
}
