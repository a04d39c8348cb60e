import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSource, type PositionedReader } from '../../src/sources/randomAccess.js';
import { reusedChunks, reusedChunkSize } from '../../src/sources/reusedChunks.js';
import { pseudoRandomBytes } from '../support/sampleBytes.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';

describe('reusedChunks', () => {
  let workspace: Workspace;
  let reader: PositionedReader | undefined;
  const bytes = pseudoRandomBytes(2 * reusedChunkSize + 12_345, 'reused-chunks');

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await reader?.close();
    reader = undefined;
    await removeWorkspace(workspace);
  });

  /** A reader of a file holding 1,000 bytes, then `bytes`, then 1,000 more. */
  async function readerOfFile(): Promise<PositionedReader> {
    const path = join(workspace.root, 'archive.bin');
    await writeFile(path, Buffer.concat([Buffer.alloc(1_000, 1), bytes, Buffer.alloc(1_000, 2)]));
    reader = await fileSource(path).openReader!();
    return reader;
  }

  it('yields exactly the bytes of the range, in chunks of at most 1 MiB', async () => {
    const copies: Buffer[] = [];
    for await (const chunk of reusedChunks(await readerOfFile(), 1_000, bytes.length)) {
      expect(chunk.length).toBeLessThanOrEqual(reusedChunkSize);
      copies.push(Buffer.from(chunk));
    }
    expect(copies.map((copy) => copy.length)).toEqual([reusedChunkSize, reusedChunkSize, 12_345]);
    expect(Buffer.concat(copies).equals(bytes)).toBe(true);
  });

  it('lends two buffers taking turns: a chunk kept past the next one holds other bytes', async () => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of reusedChunks(await readerOfFile(), 1_000, bytes.length)) chunks.push(chunk);
    expect(chunks[0]!.buffer).toBe(chunks[2]!.buffer);
    expect(chunks[0]!.buffer).not.toBe(chunks[1]!.buffer);
    expect(Buffer.from(chunks[0]!).equals(bytes.subarray(0, reusedChunkSize))).toBe(false);
  });

  it('ends early, without an error, where the file ends', async () => {
    let length = 0;
    for await (const chunk of reusedChunks(await readerOfFile(), 1_000 + bytes.length, 50_000)) length += chunk.length;
    expect(length).toBe(1_000);
  });

  it('yields nothing for an empty range', async () => {
    const chunks = [];
    for await (const chunk of reusedChunks(await readerOfFile(), 10, 0)) chunks.push(chunk);
    expect(chunks).toEqual([]);
  });

  it('stops at the next chunk with the reason of an aborted signal', async () => {
    const stop = new AbortController();
    const read = async () => {
      for await (const chunk of reusedChunks(await readerOfFile(), 1_000, bytes.length, stop.signal)) {
        expect(chunk.length).toBe(reusedChunkSize);
        stop.abort(new Error('stopped by the test'));
      }
    };
    await expect(read()).rejects.toThrow('stopped by the test');
  });

  it('gives its buffers to the next reading only once the read under way is over', async () => {
    let finishRead!: () => void;
    let reads = 0;
    const slow: PositionedReader = {
      async read(buffer, length) {
        reads++;
        if (reads === 2) await new Promise<void>((resolve) => (finishRead = resolve));
        buffer.fill(reads, 0, length);
        return length;
      },
      close: async () => {},
    };
    const first = reusedChunks(slow, 0, 3 * reusedChunkSize);
    const lent = (await first.next()).value as Uint8Array;
    expect(lent[0]).toBe(1);
    // The second read is under way into the other buffer: returning waits for it.
    let returned = false;
    const returning = first.return(undefined).then(() => (returned = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(returned).toBe(false);
    finishRead();
    await returning;
    const next = await reusedChunks(slow, 0, 1).next();
    expect((next.value as Uint8Array)[0]).toBe(3);
  });
});
