/**
 * Self-extracting zips: a zip after an executable (here a fake one, `MZ` and random bytes), with its
 * offsets left as they were (unzip: "extra bytes at beginning or within zipfile") or adjusted by
 * `zip -A`; and zips with other bytes before them. unspool tells them by their end and reads them
 * as Info-ZIP's unzip does; unzip itself checks each archive first.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dirSink } from '../../src/sinks/dirSink.js';
import { detectFormat } from '../../src/sources/detectFormat.js';
import { openArchive } from '../../src/sources/openArchive.js';
import { startHttpServer } from '../support/httpServer.js';
import { runCli, sendArgs } from '../support/runCli.js';
import { runSend } from '../support/runSend.js';
import { jpegBytes, pseudoRandomBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { createWorkspace, deliveredDigests, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

const run = promisify(execFile);

const files = [
  { name: 'photo.jpg', data: jpegBytes(80_000, 'sfx-photo') },
  { name: 'notes/readme.txt', data: textBytes(5_000, 'sfx-readme') },
  { name: 'notes/stored.txt', data: textBytes(3_000, 'sfx-stored'), compress: false },
  { name: 'streamed.txt', data: textBytes(4_000, 'sfx-streamed'), stream: true },
];

const expected = files.map(({ name, data }) => ({ entry: name, sha256: sha256(data) })).sort((a, b) => a.entry.localeCompare(b.entry));

/** A stand-in for an executable: `MZ`, then bytes that are no archive's. */
const executable = Buffer.concat([Buffer.from('MZ'), pseudoRandomBytes(40_000, 'sfx-stub')]);

describe('a self-extracting zip', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
    await mkdir(workspace.root, { recursive: true });
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  /** Writes the zip of {@link files} (zip64 records if asked) after `prefix`, as `name`. */
  async function sfx(name: string, prefix: Buffer, zip64 = false): Promise<string> {
    const zip = join(workspace.root, `${name}.zip`);
    await writeZip(zip, files, { zip64 });
    const path = join(workspace.root, name);
    await writeFile(path, Buffer.concat([prefix, await readFile(zip)]));
    return path;
  }

  /** unzip -t: exit 0, or 1 with its warning about the bytes before the zip, and no error. */
  async function unzipTests(path: string): Promise<string> {
    const result = await run('unzip', ['-tq', path]).then(
      ({ stdout, stderr }) => ({ code: 0, text: stdout + stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, text: error.stdout + error.stderr }),
    );
    expect(result.text).toMatch(/No errors detected/);
    expect(result.code).toBeLessThanOrEqual(1);
    return result.text;
  }

  const deliver = async (path: string) => runSend(path, { sink: await dirSink(workspace.out), state: workspace.state });

  it('whose offsets count from the start of the zip is told a zip by its end, and delivered byte for byte', async () => {
    const path = await sfx('setup.exe', executable);
    expect(await unzipTests(path)).toMatch(/40002 extra bytes at beginning or within zipfile/);
    expect(await detectFormat(path)).toBe('zip');
    const { summary } = await deliver(path);
    expect(summary).toMatchObject({ entries: files.length, delivered: files.length, failed: [], skipped: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
  });

  it('whose offsets zip -A adjusted is delivered byte for byte', async () => {
    const path = await sfx('adjusted.exe', executable);
    await run('zip', ['-qA', path]);
    expect(await unzipTests(path)).not.toMatch(/extra bytes/);
    expect(await detectFormat(path)).toBe('zip');
    const { summary } = await deliver(path);
    expect(summary).toMatchObject({ delivered: files.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
  });

  it('with zip64 end records is delivered byte for byte', async () => {
    const path = await sfx('setup64.exe', executable, true);
    await unzipTests(path);
    expect(await detectFormat(path)).toBe('zip');
    const { summary } = await deliver(path);
    expect(summary).toMatchObject({ delivered: files.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
  });

  it('with a few junk bytes before the zip, not an executable, is delivered too', async () => {
    const path = await sfx('junk.bin', Buffer.from('this is not a zip\n'));
    await unzipTests(path);
    const { summary } = await deliver(path);
    expect(summary).toMatchObject({ delivered: files.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
  });

  it('is delivered by the CLI', async () => {
    const path = await sfx('setup.exe', executable);
    const result = await runCli(sendArgs(path, workspace.out, workspace.state));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.summary).toMatchObject({ delivered: files.length, failed: [] });
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
  });

  it('is not claimed when the file is an executable alone, or ends in an end record that leads nowhere', async () => {
    const alone = join(workspace.root, 'alone.exe');
    await writeFile(alone, executable);
    expect(await detectFormat(alone)).toBeUndefined();
    // An end record whose directory is neither where it says nor right before it.
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(1, 8);
    end.writeUInt16LE(1, 10);
    end.writeUInt32LE(100, 12);
    end.writeUInt32LE(5, 16);
    const stray = join(workspace.root, 'stray.exe');
    await writeFile(stray, Buffer.concat([executable, end]));
    expect(await detectFormat(stray)).toBeUndefined();
    await expect(openArchive(stray)).rejects.toThrow(/not a zip/);
  });
  describe('at an address', () => {
    it('is told a zip by its end over byte ranges, and delivered byte for byte without fetching the executable', async () => {
      // A 2 MB executable: the fixed costs of the opening's reads (its head, its end) are small beside it.
      const path = await sfx('setup.exe', Buffer.concat([Buffer.from('MZ'), pseudoRandomBytes(2_000_000, 'sfx-big-stub')]));
      const bytes = await readFile(path);
      const server = await startHttpServer();
      try {
        server.serve('/setup.exe', bytes);
        const { summary } = await runSend(server.url('/setup.exe'), { sink: await dirSink(workspace.out), state: workspace.state });
        expect(summary).toMatchObject({ delivered: files.length, failed: [], skipped: [] });
        expect(await deliveredDigests(workspace.out)).toEqual(expected);
        expect(server.bytesSent()).toBeLessThan(0.2 * bytes.length);
      } finally {
        await server.close();
      }
    });

    it('from a server without ranges is not an archive: its end cannot be read without the whole file', async () => {
      const server = await startHttpServer({ ranges: false });
      try {
        server.serve('/setup.exe', await readFile(await sfx('setup.exe', executable)));
        const error = await runSend(server.url('/setup.exe'), { sink: await dirSink(workspace.out), state: workspace.state }).catch((thrown: unknown) => thrown);
        expect((error as Error).message).toMatch(/setup\.exe: not a zip/);
      } finally {
        await server.close();
      }
    });
  });
});
