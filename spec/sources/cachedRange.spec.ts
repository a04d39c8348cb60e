import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedRange } from '../../src/sources/cachedRange.js';
import { type RandomAccessSource, readBytes } from '../../src/sources/randomAccess.js';
import { openZip } from '../../src/sources/zipArchive.js';
import { pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

/** A source over `bytes` that logs every read as `offset+length`. */
function loggedSource(bytes: Buffer, log: string[]): RandomAccessSource {
  return {
    size: async () => bytes.length,
    stream(offset, length) {
      log.push(`${offset}+${length}`);
      return Readable.from([bytes.subarray(offset, length === undefined ? undefined : offset + length)]);
    },
  };
}

const bytes = pseudoRandomBytes(10_000, 'cached-range');

describe('cachedRange', () => {
  it('answers reads inside what it holds without asking the source', async () => {
    const log: string[] = [];
    const view = cachedRange(loggedSource(bytes, log), bytes.length);
    expect(await view.hold(6000, 4000)).toEqual(bytes.subarray(6000));
    expect(await readBytes(view, 9978, 22)).toEqual(bytes.subarray(9978));
    expect(await readBytes(view, 7000, 100)).toEqual(bytes.subarray(7000, 7100));
    expect(Buffer.concat(await view.stream(8000).toArray())).toEqual(bytes.subarray(8000));
    expect(await view.size()).toBe(bytes.length);
    expect(log).toEqual(['6000+4000']);
  });

  it('reads only the bytes before a held range that covers the end of what it is told to hold', async () => {
    const log: string[] = [];
    const view = cachedRange(loggedSource(bytes, log), bytes.length);
    await view.hold(6000, 4000);
    expect(await view.hold(2000, 5000)).toEqual(bytes.subarray(2000, 7000));
    expect(await readBytes(view, 2000, 8000)).toEqual(bytes.subarray(2000));
    expect(await view.hold(3000, 100)).toEqual(bytes.subarray(3000, 3100));
    expect(log).toEqual(['6000+4000', '2000+4000']);
  });

  it('passes any other read to the source', async () => {
    const log: string[] = [];
    const view = cachedRange(loggedSource(bytes, log), bytes.length);
    await view.hold(6000, 4000);
    expect(await readBytes(view, 5990, 20)).toEqual(bytes.subarray(5990, 6010));
    expect(await readBytes(view, 0, 10)).toEqual(bytes.subarray(0, 10));
    expect(log).toEqual(['6000+4000', '5990+20', '0+10']);
  });

  it('answers an empty read from what it holds', async () => {
    const log: string[] = [];
    const view = cachedRange(loggedSource(bytes, log), bytes.length);
    await view.hold(6000, 4000);
    expect(await readBytes(view, 7000, 0)).toEqual(Buffer.alloc(0));
    expect(log).toEqual(['6000+4000']);
  });
});

describe('opening a zip through its held tail and directory', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('reads a zip whose directory is in the tail searched for its end record once', async () => {
    const file = join(workspace.root, 'x.zip');
    await writeZip(file, [
      { name: 'a.txt', data: 'alpha' },
      { name: 'b.bin', data: pseudoRandomBytes(200_000, 'b') },
    ]);
    const zip = await readFile(file);
    const log: string[] = [];
    const archive = await openZip(loggedSource(zip, log), 'x.zip');
    expect(log).toEqual([`${zip.length - 65_557}+65557`]);
    expect(archive.entryCount).toBe(2);
    const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    const start = zip.readUInt32LE(end + 16);
    expect(archive.fingerprint).toBe(sha256(zip.subarray(start, start + zip.readUInt32LE(end + 12))));
  });
});
