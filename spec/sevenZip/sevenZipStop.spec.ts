import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Entry } from '../../src/entry.js';
import { dirSink } from '../../src/sinks/dirSink.js';
import { openArchive } from '../../src/sources/openArchive.js';
import { fileSource } from '../../src/sources/randomAccess.js';
import { runningSevenZipWorkers, runSevenZip } from '../../src/sources/sevenZip/sevenZipRun.js';
import { runSend, runSendUntil } from '../support/runSend.js';
import { jpegBytes, pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';
import { createWorkspace, deliveredFiles, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeSevenZip } from './sevenZipFixtures.js';

const photos = Array.from({ length: 12 }, (_, i) => ({ name: `roll/IMG_${String(i).padStart(4, '0')}.jpg`, data: jpegBytes(50_000 + i, `photo-${i}`) }));

describe('stopping and resuming a 7z archive', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('ends 7-Zip\'s worker soon after the entries are unsubscribed mid-entry', async () => {
    const [file] = await writeSevenZip(workspace.root, 'big.7z', [{ name: 'big.bin', data: pseudoRandomBytes(12_000_000, 'big') }], ['-m0=Copy']);
    const archive = await openArchive(file!);
    const before = runningSevenZipWorkers();
    let subscription: { unsubscribe(): void } | undefined;
    const entry = new Promise<Entry>((resolve) => {
      subscription = archive.entries().subscribe({ next: resolve, error: () => {} });
    });
    const chunks = (await entry).open()[Symbol.asyncIterator]();
    await chunks.next();
    expect(runningSevenZipWorkers()).toBe(before + 1);
    // The worker is blocked on its full output: unsubscribing must end it all the same.
    subscription!.unsubscribe();
    await vi.waitFor(() => expect(runningSevenZipWorkers()).toBe(before), { timeout: 2_000, interval: 10 });
  });

  it('delivers each file of a solid archive stopped mid-block exactly once, byte for byte, over two runs', async () => {
    const [file] = await writeSevenZip(workspace.root, 'roll.7z', photos, ['-ms=on']);
    const options = async () => ({ sink: await dirSink(workspace.out), state: workspace.state, albumSize: 3 });
    await runSendUntil(file!, await options(), (step) => step.kind === 'delivered');
    const first = deliveredFiles(await readAlbums(workspace.out)).length;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(photos.length);
    const { summary } = await runSend(file!, await options());
    const delivered = deliveredFiles(await readAlbums(workspace.out));
    expect(delivered.map((entry) => `${entry.entry}:${entry.sha256}`).sort()).toEqual(photos.map((photo) => `${photo.name}:${sha256(photo.data)}`).sort());
    expect(summary).toMatchObject({ delivered: photos.length, failed: [] });
  });

  it('resumes a non-solid archive by naming only the files left', async () => {
    const [file] = await writeSevenZip(workspace.root, 'roll.7z', photos, ['-ms=off']);
    const archive = await openArchive(file!);
    const names: string[] = [];
    await new Promise<void>((resolve, reject) =>
      archive.entries({ skip: (index) => index < 11 }).subscribe({
        next: (entry: Entry) => {
          names.push(entry.name);
          entry.release();
        },
        error: reject,
        complete: resolve,
      }),
    );
    // Index 0 is the folder `roll`.
    expect(names).toEqual(photos.slice(10).map((photo) => photo.name));
  });

  it('holds 7-Zip back while the consumer does not read: what is buffered stays about its in-flight bound', async () => {
    const data = pseudoRandomBytes(12_000_000, 'slow');
    const [file] = await writeSevenZip(workspace.root, 'slow.7z', [{ name: 'slow.bin', data }], ['-m0=Copy']);
    const source = fileSource(file!);
    const run = runSevenZip({ volumes: [{ name: 'slow.7z', size: await source.size(), source }], args: ['x', '-so', 'slow.7z', '-p', '-y', '-bsp0', '-bso2'], inFlight: 2 * 1024 * 1024 });
    let handed = 0;
    let firstData = false;
    while (!firstData) {
      const { value } = await run.next();
      if (value.type === 'data') {
        handed += value.bytes.length;
        firstData = true;
      }
    }
    await sleep(300);
    // Posted ahead of the consumer: the bound, plus the one chunk that crossed it.
    expect(run.bufferedBytes).toBeLessThanOrEqual(3 * 1024 * 1024);
    for (;;) {
      const { value } = await run.next();
      if (value.type === 'data') handed += value.bytes.length;
      if (value.type === 'exit') {
        expect(value.code).toBe(0);
        break;
      }
    }
    expect(handed).toBe(data.length);
    await run.stop();
  });
});
