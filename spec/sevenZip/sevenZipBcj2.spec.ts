import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dirSink } from '../../src/sinks/dirSink.js';
import { runSend } from '../support/runSend.js';
import { createWorkspace, deliveredDigests, removeWorkspace, type Workspace } from '../support/workspace.js';

/**
 * BCJ2, the x86 filter 7-Zip picks for programs, splits a file into four streams decoded by four
 * coders at once: the one 7z method the specs cannot write with 7z-wasm (its encoder aborts on
 * it). The archive is a fixture written by a native 7-Zip (spec/fixtures/sevenZip/PROVENANCE.md).
 */
const fixture = fileURLToPath(new URL('../fixtures/sevenZip/bcj2.7z', import.meta.url));

describe('a 7z whose block is filtered with BCJ2 (fixture by native 7-Zip 26.01)', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('delivers both files byte for byte', async () => {
    const archive = join(workspace.root, 'bcj2.7z');
    await copyFile(fixture, archive);
    const { summary } = await runSend(archive, { sink: await dirSink(workspace.out), state: workspace.state });
    expect(summary.failed).toEqual([]);
    expect(summary.skipped).toEqual([]);
    expect(await deliveredDigests(workspace.out)).toEqual([
      { entry: 'DCIM/photo.jpg', sha256: 'f31f7b7c2bc3b93454d72cb42797ec8f7bbd0806d2131dc1452821ae9e7ba2e3' },
      { entry: 'tools/app.exe', sha256: 'f69374a1c52f4395ecc98e0711cd27ebf7721d65c96a7290972346662f4eaebf' },
    ]);
  });
});
