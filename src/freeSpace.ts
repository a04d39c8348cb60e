import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ObservableInput } from 'rxjs';

/** Free and total bytes of the file system that holds a folder. */
export interface DiskSpace {
  readonly free: number;
  readonly size: number;
}

/**
 * Asks how much space is free where a folder lives: a promise, or an Observable that emits once
 * (so marble tests can answer in virtual time). Injected into {@link freeSpaceGate}.
 */
export type DiskSpaceProbe = (folder: string) => ObservableInput<DiskSpace>;

/** Through `check-disk-space` (`df` on Linux and macOS, PowerShell on Windows), loaded only when asked. */
async function dfProbe(folder: string): Promise<DiskSpace> {
  // The package's types describe its CommonJS build, but Node loads its ES module build, whose
  // default export is the function itself.
  const checkDiskSpace = (await import('check-disk-space')).default as unknown as (folder: string) => Promise<DiskSpace>;
  const { free, size } = await checkDiskSpace(folder);
  return { free, size };
}

/**
 * The real probe: the file system's own count (`statfs`: the bytes free to an ordinary user, as
 * `df` shows them), with no process started, where `df` took a fork of the whole program each
 * time. A folder not made yet is measured where it will be, at its nearest existing parent. Where
 * Node cannot ask (`ENOSYS`), `check-disk-space` answers instead.
 */
export const checkDiskSpaceProbe = async (folder: string): Promise<DiskSpace> => {
  for (let at = folder; ; at = dirname(at)) {
    try {
      const { bavail, blocks, bsize } = await statfs(at);
      return { free: bavail * bsize, size: blocks * bsize };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSYS' || code === 'ENOTSUP') return dfProbe(folder);
      if (code !== 'ENOENT' || dirname(at) === at) throw error;
    }
  }
};
