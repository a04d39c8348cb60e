import * as checkDiskSpaceModule from 'check-disk-space';

/** Free and total bytes of the file system that holds a folder. */
export interface DiskSpace {
  readonly free: number;
  readonly size: number;
}

/** Asks how much space is free where a folder lives. Injected into {@link freeSpaceGate} for tests. */
export type DiskSpaceProbe = (folder: string) => Promise<DiskSpace>;

// The package's types describe its CommonJS build, but Node loads its ES module build, whose
// default export is the function itself.
const checkDiskSpace = checkDiskSpaceModule.default as unknown as (folder: string) => Promise<DiskSpace>;

/** The real probe, through `check-disk-space` (`df` on Linux and macOS, PowerShell on Windows). */
export const checkDiskSpaceProbe: DiskSpaceProbe = async (folder) => {
  const { free, size } = await checkDiskSpace(folder);
  return { free, size };
};
