import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { concatMap, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry, OpenConfig } from '../../src/entry.js';
import { TruncatedError } from '../../src/errors.js';
import { openArchive } from '../../src/sources/openArchive.js';
import { reusedChunkSize } from '../../src/sources/reusedChunks.js';
import { pseudoRandomBytes, textBytes } from '../support/sampleBytes.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

/** What reading one entry gave: a copy of each chunk, and the memory each chunk was in. */
interface Read {
  readonly name: string;
  readonly copies: Buffer[];
  readonly memory: ArrayBufferLike[];
}

describe('zip entry bytes of a local file', () => {
  let workspace: Workspace;
  const video = pseudoRandomBytes(3 * reusedChunkSize + 777, 'zip-entry-bytes-video');
  const notes = textBytes(3 * reusedChunkSize, 'zip-entry-bytes-notes');

  beforeEach(async () => {
    workspace = await createWorkspace();
    await writeZip(join(workspace.root, 'roll.zip'), [
      { name: 'notes.txt', data: notes },
      { name: 'video.mp4', data: video, compress: false },
      { name: 'small.txt', data: 'stored and small', compress: false },
    ]);
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  /** Reads every entry, keeping a copy of each chunk and the memory it came in. */
  async function readAll(config?: OpenConfig): Promise<Read[]> {
    const archive = await openArchive(join(workspace.root, 'roll.zip'));
    const read = async (entry: Entry): Promise<Read> => {
      const copies: Buffer[] = [];
      const memory: ArrayBufferLike[] = [];
      try {
        for await (const chunk of entry.open(config)) {
          copies.push(Buffer.from(chunk));
          memory.push(chunk.buffer);
        }
        return { name: entry.name, copies, memory };
      } finally {
        entry.release();
      }
    };
    return lastValueFrom(archive.entries().pipe(concatMap(read), toArray()));
  }

  it('reads a stored entry into two buffers taking turns when the caller keeps no chunk', async () => {
    const [, stored, small] = await readAll({ reuseChunks: true });
    expect(Buffer.concat(stored!.copies).equals(video)).toBe(true);
    expect(stored!.copies.map((copy) => copy.length)).toEqual([reusedChunkSize, reusedChunkSize, reusedChunkSize, 777]);
    expect(new Set(stored!.memory).size).toBe(2);
    expect(Buffer.concat(small!.copies).toString()).toBe('stored and small');
  });

  it('gives every chunk memory of its own when the caller may keep them', async () => {
    const [, stored] = await readAll();
    expect(Buffer.concat(stored!.copies).equals(video)).toBe(true);
    expect(new Set(stored!.memory).size).toBe(stored!.memory.length);
  });

  it('inflates a deflated entry as before when the caller keeps no chunk', async () => {
    const [deflated] = await readAll({ reuseChunks: true });
    expect(deflated!.name).toBe('notes.txt');
    expect(Buffer.concat(deflated!.copies).equals(notes)).toBe(true);
  });

  it('reads an entry opened after its reading ended, as the entries unsubscribed close the shared descriptor', async () => {
    const archive = await openArchive(join(workspace.root, 'roll.zip'));
    const entry = await firstValueFrom(archive.entries({ skip: (index) => index !== 1 }));
    const copies: Buffer[] = [];
    for await (const chunk of entry.open({ reuseChunks: true })) copies.push(Buffer.from(chunk));
    expect(Buffer.concat(copies).equals(video)).toBe(true);
  });

  it('fails a stored entry as truncated when the file ends inside its data', async () => {
    const path = join(workspace.root, 'roll.zip');
    const archive = await openArchive(path);
    const read = async (entry: Entry) => {
      try {
        if (entry.name !== 'video.mp4') return undefined;
        await truncate(path, 1_000_000);
        let length = 0;
        for await (const chunk of entry.open({ reuseChunks: true })) length += chunk.length;
        return length;
      } catch (error) {
        return error;
      } finally {
        entry.release();
      }
    };
    const outcomes = await lastValueFrom(archive.entries().pipe(concatMap(read), toArray()));
    expect(outcomes[1]).toBeInstanceOf(TruncatedError);
  });
});
