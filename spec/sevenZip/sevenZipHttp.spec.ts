import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PasswordNeededError } from '../../src/errors.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { type HttpServer, startHttpServer } from '../support/httpServer.js';
import { runSend } from '../support/runSend.js';
import { jpegBytes, sha256, textBytes } from '../support/sampleBytes.js';
import { createWorkspace, deliveredDigests, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeSevenZip } from './sevenZipFixtures.js';

const files = [
  ...Array.from({ length: 8 }, (_, i) => ({ name: `photos/${i}.jpg`, data: jpegBytes(150_000 + i, `http-${i}`) })),
  { name: 'notes.txt', data: textBytes(200_000, 'notes') },
];
const expected = files.map((file) => ({ entry: file.name, sha256: sha256(file.data) })).sort((a, b) => a.entry.localeCompare(b.entry));

describe('7z archives over HTTP byte ranges', () => {
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

  it.each([['solid', ['-ms=on']], ['non-solid', ['-ms=off']]])('delivers a %s 7z read in place, fetching about the archive once', async (_label, switches) => {
    const [file] = await writeSevenZip(workspace.root, 'roll.7z', files, switches);
    const bytes = await readFile(file!);
    server.serve('/roll.7z', bytes);
    const { summary } = await runSend(server.url('/roll.7z'), { sink: await dirSink(workspace.out), state: workspace.state });
    expect(summary.failed).toEqual([]);
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
    // The listing reads the end and the start; the pass reads the archive front to back once.
    expect(server.bytesSent()).toBeLessThan(bytes.length * 2.5);
  });

  it('lists a 7z whose names are encrypted with the password, and asks for it without', async () => {
    const [file] = await writeSevenZip(workspace.root, 'locked.7z', files, ['-mhe=on', '-psecret']);
    server.serve('/locked.7z', await readFile(file!));
    const options = { sink: await dirSink(workspace.out), state: workspace.state };
    await expect(runSend(server.url('/locked.7z'), options)).rejects.toBeInstanceOf(PasswordNeededError);
    const { summary } = await runSend(server.url('/locked.7z'), { ...options, password: 'secret' });
    expect(summary.failed).toEqual([]);
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
  });
});

describe('7z and RAR archives from a server without byte ranges', () => {
  let workspace: Workspace;
  let server: HttpServer;

  beforeEach(async () => {
    workspace = await createWorkspace();
    server = await startHttpServer({ ranges: false });
  });

  afterEach(async () => {
    await server.close();
    await removeWorkspace(workspace);
  });

  it('downloads a 7z whole into the state folder, reads it there, and deletes the copy', async () => {
    const [file] = await writeSevenZip(workspace.root, 'roll.7z', files, ['-ms=on']);
    const bytes = await readFile(file!);
    server.serve('/roll.7z', bytes);
    const { summary } = await runSend(server.url('/roll.7z'), { sink: await dirSink(workspace.out), state: workspace.state });
    expect(summary.failed).toEqual([]);
    expect(await deliveredDigests(workspace.out)).toEqual(expected);
    expect(await readdir(join(workspace.state, 'downloads'))).toEqual([]);
    // The probe's answer, read on into the copy: one request, each byte once; 7-Zip's reads are
    // served from the copy, never the server.
    expect(server.log).toHaveLength(1);
    expect(server.bytesSent()).toBe(bytes.length);
  });
});
