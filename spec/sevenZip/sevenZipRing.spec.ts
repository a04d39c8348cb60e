import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSource } from '../../src/sources/randomAccess.js';
import { collectSevenZip } from '../../src/sources/sevenZip/sevenZipRun.js';
import { pseudoRandomBytes } from '../support/sampleBytes.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeSevenZip } from './sevenZipFixtures.js';

describe("7-Zip's output through the shared ring", () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('comes out byte for byte, in order, through a ring much smaller than the output, small writes and large', async () => {
    // Sizes that end mid-ring and mid-batch, so that writes wrap around the ring's end.
    const files = [1, 100, 70_000, 5, 300_001, 65_536, 1_234_567].map((size, i) => ({ name: `f${i}.bin`, data: pseudoRandomBytes(size, `ring-${i}`) }));
    for (const [switches, local] of [[['-m0=Copy'], false], [['-ms=on', '-m0=LZMA2:d16'], true]] as const) {
      const name = `ring${local ? '-local' : ''}.7z`;
      const [file] = await writeSevenZip(workspace.root, name, files, switches);
      const source = fileSource(file!);
      const size = await source.size();
      const volume = local ? { name, size, path: file! } : { name, size, source };
      const result = await collectSevenZip({ volumes: [volume], args: ['x', '-so', name, '-p', '-y', '-bsp0', '-bso2', '-bse2', '-bb3'], inFlight: 64 * 1024 });
      expect(result.code).toBe(0);
      expect(Buffer.compare(result.stdout, Buffer.concat(files.map((f) => f.data)))).toBe(0);
      // Each file's `- name` line comes in order.
      expect(result.lines.filter((line) => line.startsWith('- ')).map((line) => line.slice(2))).toEqual(files.map((f) => f.name));
    }
  });
});
