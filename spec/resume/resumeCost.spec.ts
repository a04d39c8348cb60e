import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ManifestData, Manifest } from '../../src/state/manifest.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import type { Archive } from '../../src/sources/archive.js';
import { fileSource } from '../../src/sources/randomAccess.js';
import { openZip } from '../../src/sources/zipArchive.js';
import { archivePaths } from '../../src/state/stateDir.js';
import { sendArgs } from '../support/runCli.js';
import { runSend, stepsOf } from '../support/runSend.js';
import { pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { startCli } from './cliProcess.js';
import { deliveryReport } from './deliveryReport.js';
import { type ArchiveKind, mixedFiles, writeArchive } from './mixedArchive.js';

const entrySize = 200_000;
const entryCount = 200;

/**
 * Reads the first entry that a resumed run would read, skipping the entries that the manifest
 * settled through `manifest.isSettled`, as the pipeline skips them.
 *
 * @return The entry's index and the SHA-256 of its bytes.
 */
async function firstEntryAfter(archive: Archive, manifest: Manifest): Promise<{ index: number; sha256: string }> {
  const entry = await firstValueFrom(archive.entries({ skip: (index) => manifest.isSettled(index) }));
  const chunks: Uint8Array[] = [];
  for await (const chunk of entry.open()) chunks.push(chunk);
  return { index: entry.index, sha256: sha256(Buffer.concat(chunks)) };
}

describe('resuming a zip', () => {
  let workspace: Workspace;
  let archive: string;
  let data: Buffer[];

  beforeAll(async () => {
    workspace = await createWorkspace();
    archive = join(workspace.root, 'videos.zip');
    data = Array.from({ length: entryCount }, (_, i) => pseudoRandomBytes(entrySize, `cost-${i}`));
    // Stored, so that the archive is as big as its entries: 40 MB.
    await writeZip(
      archive,
      data.map((bytes, i) => ({ name: `clip-${String(i).padStart(3, '0')}.bin`, data: bytes, compress: false })),
    );
  });

  afterAll(async () => {
    await removeWorkspace(workspace);
  });

  /**
   * Opens the archive through a byte-counting source and reads the entry at `resumeAt` as a run
   * resumed there would: the entries before it recorded as delivered in a manifest.
   *
   * @return The bytes read to open the archive, and in all.
   */
  async function resumeCost(resumeAt: number): Promise<{ opening: number; total: number }> {
    let read = 0;
    const zip = await openZip(fileSource(archive, (bytes) => (read += bytes)), archive);
    const opening = read;
    const identity = { source: archive, path: archive, size: zip.size, mtimeMs: 0, format: 'zip', fingerprint: zip.fingerprint };
    const manifest = Manifest.create(join(workspace.state, 'never-saved.json'), identity, { albumSize: 10 });
    for (let index = 0; index < resumeAt; index++) manifest.delivered({ index, name: `clip-${index}`, size: entrySize });
    expect(await firstEntryAfter(zip, manifest)).toEqual({ index: resumeAt, sha256: sha256(data[resumeAt]!) });
    return { opening, total: read };
  }

  it('reads as little to reach entry 180 as to reach entry 20: the central directory and that entry', async () => {
    const early = await resumeCost(20);
    const late = await resumeCost(180);
    const fresh = await resumeCost(0);

    // Opening reads the tail (the end record search and the central directory), less than one
    // entry, wherever the run resumes.
    expect(late.opening).toBe(early.opening);
    expect(late.opening).toBe(fresh.opening);
    expect(late.opening).toBeLessThan(entrySize);
    // Then one local header and the entry's bytes: nothing of the 180 entries before it.
    expect(late.total - late.opening).toBeGreaterThanOrEqual(entrySize);
    expect(late.total - late.opening).toBeLessThan(entrySize + 1_024);
    expect(Math.abs(late.total - early.total)).toBeLessThanOrEqual(1_024);
    expect(late.total).toBe(fresh.total);
    expect(late.total).toBeLessThan((180 * entrySize) / 100);
  });
});

describe.each(['zip', 'tar.gz'] as ArchiveKind[])('a %s run resumed after a crash', (format) => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('writes no entry that the manifest settled to the temp folder, and every other entry once', async () => {
    const files = mixedFiles(80, 'cost');
    const archive = join(workspace.root, `backup.${format}`);
    await writeArchive(format, archive, files);
    // A first run that dies after the sink confirmed its fourth album, before the checkpoint.
    const crashed = await startCli(sendArgs(archive, workspace.out, workspace.state, '--album-size', '5'), { UNSPOOL_CRASH_AT: 'after-sink:4' }).exited;
    expect(crashed.signal).toBe('SIGKILL');
    const left = JSON.parse(await readFile(archivePaths(workspace.state, archive).manifest, 'utf8')) as ManifestData;
    const settled = new Set(left.delivered.flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, i) => first + i)));
    const inFlight = Object.keys(left.inFlight);
    // Album 4 is formed only once album 2's checkpoint is written (album 3's delivery starting
    // then lets the source read on), but album 3's may not be yet: the sink is quick.
    expect(settled.size).toBeGreaterThanOrEqual(5);
    // The album the sink took, and either album 3 before it (its checkpoint not written yet) or
    // album 5 read ahead behind it (recorded only after that checkpoint).
    expect(inFlight.length).toBeGreaterThanOrEqual(1);
    expect(inFlight.length).toBeLessThanOrEqual(2);

    const resumed = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state, albumSize: 5 });
    const unsettled = files.map((_, index) => index).filter((index) => !settled.has(index));
    expect(stepsOf(resumed.steps, 'opened')[0]).toMatchObject({ settled: settled.size });
    // Every file this run wrote to its temp folder ends in a delivered album: there is none of a settled entry.
    const written = stepsOf(resumed.steps, 'delivered').flatMap((step) => step.album.files);
    expect(written.map((file) => file.entry.index).sort((a, b) => a - b)).toEqual(unsettled);
    expect(written.every((file) => file.path.startsWith(`${archivePaths(workspace.state, archive).tmp}/`))).toBe(true);
    expect(stepsOf(resumed.steps, 'skipped')).toEqual([]);
    // The album the sink already had is sent again under its id, and the sink lets it be; the one
    // read ahead behind it goes under its own recorded id too.
    expect(stepsOf(resumed.steps, 'delivered').map((step) => step.album.id)).toEqual(expect.arrayContaining(inFlight));
    expect(resumed.summary).toMatchObject({ delivered: files.length, failed: [] });
    const report = await deliveryReport(workspace.out, files, 5);
    expect({ duplicated: report.duplicated, missing: report.missing, wrongBytes: report.wrongBytes }).toEqual({ duplicated: [], missing: [], wrongBytes: [] });
  });
});
