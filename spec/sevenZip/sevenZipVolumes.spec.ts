import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../src/errors.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { openArchive } from '../../src/sources/openArchive.js';
import { volumeNaming } from '../../src/sources/sevenZip/sevenZipVolumeNames.js';
import { runSend } from '../support/runSend.js';
import { jpegBytes, pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';
import { createWorkspace, deliveredDigests, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeSevenZip } from './sevenZipFixtures.js';

/** About 360 KB that does not compress: four volumes of 100 KB. */
const files = [
  { name: 'a.jpg', data: jpegBytes(120_000, 'a') },
  { name: 'b.jpg', data: jpegBytes(90_000, 'b') },
  { name: 'c.bin', data: pseudoRandomBytes(150_000, 'c') },
];
const expected = files.map((file) => ({ entry: file.name, sha256: sha256(file.data) }));

describe('7z volume sets', () => {
  let workspace: Workspace;
  let volumes: string[];

  beforeEach(async () => {
    workspace = await createWorkspace();
    volumes = await writeSevenZip(workspace.root, 'set.7z', files, ['-v100k', '-ms=off', '-m0=Copy']);
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  const send = async (path: string) => runSend(path, { sink: await dirSink(workspace.out), state: workspace.state });

  it('are written as four volumes here', () => {
    expect(volumes.map((volume) => volume.slice(workspace.root.length + 1))).toEqual(['set.7z.001', 'set.7z.002', 'set.7z.003', 'set.7z.004']);
  });

  it('are read whole when the first volume is named', async () => {
    const { summary } = await send(volumes[0]!);
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
    expect(summary.failed).toEqual([]);
  });

  it('are read from the first volume when the third is named', async () => {
    const archive = await openArchive(volumes[2]!);
    expect(archive).toMatchObject({ format: '7z', entryCount: 3 });
    await send(volumes[2]!);
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
  });

  it('are refused at once when a middle volume is missing, naming it', async () => {
    await rm(volumes[1]!);
    const error = await openArchive(volumes[0]!).catch((error: unknown) => error);
    expect(error).toBeInstanceOf(ArchiveError);
    expect((error as Error).message).toContain(join(workspace.root, 'set.7z.002'));
  });

  it('are refused when the last volume is missing, asking whether one is', async () => {
    await rm(volumes[3]!);
    await expect(openArchive(volumes[0]!)).rejects.toThrow(/is a volume missing/);
  });

  it('are refused when the first volume is missing, naming it', async () => {
    await rm(volumes[0]!);
    await expect(openArchive(volumes[2]!)).rejects.toThrow(/set\.7z\.001, is missing/);
  });
});

describe('volumeNaming', () => {
  const none = () => false;

  it('finds the first volume of each naming from any volume', () => {
    expect(volumeNaming('x.7z.003', none)?.name(0)).toBe('x.7z.001');
    expect(volumeNaming('x.part3.rar', none)?.name(0)).toBe('x.part1.rar');
    expect(volumeNaming('x.part03.rar', none)?.name(1)).toBe('x.part02.rar');
    expect(volumeNaming('x.part003.rar', none)?.name(0)).toBe('x.part001.rar');
    expect(volumeNaming('x.r01', (name) => name === 'x.r00')?.name(0)).toBe('x.rar');
    expect(volumeNaming('x.rar', (name) => name === 'x.r00')?.name(2)).toBe('x.r01');
  });

  it('claims no lone archive', () => {
    expect(volumeNaming('x.7z', none)).toBeUndefined();
    expect(volumeNaming('x.rar', none)).toBeUndefined();
    expect(volumeNaming('x.zip', none)).toBeUndefined();
  });
});
