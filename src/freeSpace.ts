import * as checkDiskSpaceModule from 'check-disk-space';
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

// The package's types describe its CommonJS build, but Node loads its ES module build, whose
// default export is the function itself.
const checkDiskSpace = checkDiskSpaceModule.default as unknown as (folder: string) => Promise<DiskSpace>;

/** The real probe, through `check-disk-space` (`df` on Linux and macOS, PowerShell on Windows). */
export const checkDiskSpaceProbe = async (folder: string): Promise<DiskSpace> => {
  const { free, size } = await checkDiskSpace(folder);
  return { free, size };
};
