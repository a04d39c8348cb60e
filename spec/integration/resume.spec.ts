import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dirSink } from '../../src/sinks/dirSink.js';
import { runSend, stepsOf } from '../support/runSend.js';
import { jpegBytes, textBytes } from '../support/sampleBytes.js';
import { writeTarGz } from '../support/tarFixtures.js';
import { createWorkspace, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeRawZip } from '../support/zipFixtures.js';

const files = Array.from({ length: 23 }, (_, i) => ({ name: `photo${i}.jpg`, data: jpegBytes(3_000 + i, `resume-${i}`) }));

describe('a second run of the same archive', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  async function twice(archive: string) {
    const first = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state });
    const delivered = await filesUnder(workspace.out);
    const second = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state });
    return { first, second, delivered };
  }

  it('delivers nothing new from a zip and reports the same totals', async () => {
    const archive = join(workspace.root, 'again.zip');
    await writeRawZip(archive, [
      ...files,
      { name: 'empty.txt', data: '' },
      { name: 'secret.txt', data: textBytes(100, 'secret'), encrypted: true },
      { name: 'corrupt.txt', data: textBytes(100, 'corrupt'), centralCrc32: 1 },
    ]);
    const { first, second, delivered } = await twice(archive);
    expect(first.summary).toMatchObject({ entries: 26, delivered: 23, albums: 3 });
    expect(first.summary.skipped.map((item) => item.reason)).toEqual(['empty', 'encrypted']);
    expect(first.summary.failed.map((item) => item.reason)).toEqual(['crc-mismatch']);
    expect(second.summary).toEqual(first.summary);
    expect(stepsOf(second.steps, 'opened')[0]).toMatchObject({ settled: 26 });
    expect(second.steps.filter((step) => ['delivered', 'skipped', 'failed', 'undelivered'].includes(step.kind))).toEqual([]);
    expect(await filesUnder(workspace.out)).toEqual(delivered);
  });

  it('delivers nothing new from a tar.gz and reports the same totals', async () => {
    const archive = join(workspace.root, 'again.tar.gz');
    await writeTarGz(archive, [...files, { name: 'folder', type: 'directory' }]);
    const { first, second, delivered } = await twice(archive);
    expect(first.summary).toMatchObject({ delivered: 23, albums: 3, directories: 1, skipped: [], failed: [] });
    expect(second.summary).toEqual(first.summary);
    expect(second.steps.filter((step) => step.kind === 'delivered')).toEqual([]);
    expect(await filesUnder(workspace.out)).toEqual(delivered);
  });
});
