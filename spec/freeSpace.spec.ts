import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDiskSpaceProbe } from '../src/freeSpace.js';

/** `df -Pk`'s size and available bytes of the file system holding a folder. */
function df(folder: string): { size: number; free: number } {
  const fields = execFileSync('df', ['-Pk', '--', folder], { encoding: 'utf8' }).trim().split('\n').at(-1)!.split(/\s+/);
  return { size: Number(fields[1]) * 1024, free: Number(fields[3]) * 1024 };
}

describe('checkDiskSpaceProbe', () => {
  it.skipIf(process.platform === 'win32')('counts what df counts, without running it', async () => {
    const space = await checkDiskSpaceProbe(process.cwd());
    const shown = df(process.cwd());
    expect(space.size).toBe(shown.size);
    // Other work on the machine may write in between: a few MB either way.
    expect(Math.abs(space.free - shown.free)).toBeLessThan(64 * 1024 * 1024);
  });

  it('measures a folder not made yet at its nearest existing parent', async () => {
    const parent = await checkDiskSpaceProbe(process.cwd());
    const missing = await checkDiskSpaceProbe(join(process.cwd(), 'no-such-folder', 'deeper'));
    expect(missing.size).toBe(parent.size);
  });
});
