import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../src/errors.js';
import { openArchive } from '../../src/sources/openArchive.js';
import { type HttpServer, startHttpServer } from '../support/httpServer.js';
import { pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip, type ZipItem } from '../support/zipFixtures.js';
import { zipLayout } from './zipLayout.js';

/** The end record is searched for in the last 64 KiB + 22 bytes. */
const endSearch = 22 + 0xffff;
/** Bytes read to tell the format. */
const formatHead = 4096;

/** 1,000 small files with long names: a central directory of about 150 KB, more than the tail searched. */
const manyFiles: ZipItem[] = Array.from({ length: 1000 }, (_, i) => ({
  name: `folder/a-long-name-that-makes-the-central-directory-grow-past-the-tail-searched-for-its-end-${String(i).padStart(4, '0')}.txt`,
  data: `file ${i}`,
}));

describe('opening a zip over HTTP byte ranges', () => {
  let workspace: Workspace;
  let server: HttpServer;

  beforeEach(async () => {
    workspace = await createWorkspace();
    server = await startHttpServer();
  });

  afterEach(async () => {
    await server.close();
    await removeWorkspace(workspace);
  });

  /** Writes a zip of `items`, serves it at /x.zip, and returns its bytes. */
  async function served(items: readonly ZipItem[], zip64 = false): Promise<Buffer> {
    const file = join(workspace.root, 'x.zip');
    await writeZip(file, items, { zip64 });
    const bytes = await readFile(file);
    server.serve('/x.zip', bytes);
    return bytes;
  }

  it('reads a central directory larger than the tail once more, from its start to the tail, and fingerprints it whole', async () => {
    const bytes = await served(manyFiles);
    const { size, centralDirectory, centralDirectorySize } = zipLayout(bytes);
    expect(centralDirectory).toBeLessThan(size - endSearch);
    const archive = await openArchive(server.url('/x.zip'));
    expect(server.log.map((request) => request.range)).toEqual([
      'bytes=0-0',
      `bytes=0-${formatHead - 1}`,
      `bytes=${size - endSearch}-${size - 1}`,
      `bytes=${centralDirectory}-${size - endSearch - 1}`,
    ]);
    expect(archive.entryCount).toBe(manyFiles.length);
    expect(archive.fingerprint).toBe(sha256(bytes.subarray(centralDirectory, centralDirectory + centralDirectorySize)));
    expect((await firstValueFrom(archive.entries())).name).toBe(manyFiles[0]!.name);
  });

  it('reads a zip64 zip\'s end records and central directory from the tail alone', async () => {
    const bytes = await served([...manyFiles.slice(0, 3), { name: 'big.bin', data: pseudoRandomBytes(100_000, 'big'), compress: false }], true);
    const size = bytes.length;
    // The zip64 end record, where the locator before the end record says: it gives the directory.
    const zip64End = Number(bytes.readBigUInt64LE(bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x07])) + 8));
    const centralDirectory = Number(bytes.readBigUInt64LE(zip64End + 48));
    const centralDirectorySize = Number(bytes.readBigUInt64LE(zip64End + 40));
    const archive = await openArchive(server.url('/x.zip'));
    expect(server.log.map((request) => request.range)).toEqual(['bytes=0-0', `bytes=0-${formatHead - 1}`, `bytes=${size - endSearch}-${size - 1}`]);
    expect(archive.entryCount).toBe(4);
    expect(archive.fingerprint).toBe(sha256(bytes.subarray(centralDirectory, centralDirectory + centralDirectorySize)));
  });

  it('fails with an ArchiveError naming the HTTP failure when the read of a central directory larger than the tail fails', async () => {
    const bytes = await served(manyFiles);
    const { size, centralDirectory } = zipLayout(bytes);
    server.fault({ status: 410 }, (request) => request.range === `bytes=${centralDirectory}-${size - endSearch - 1}`);
    const name = server.url('/x.zip');
    await expect(openArchive(name)).rejects.toThrow(new ArchiveError(name, `cannot read: HTTP 410 Gone from ${name}`));
  });
});
