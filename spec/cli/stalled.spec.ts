import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, sendArgs } from '../support/runCli.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';

const sample = resolve('samples', 'sample.zip');
const hangingTempFiles = pathToFileURL(resolve('spec', 'support', 'hangingTempFiles.mjs')).href;

describe('unspool send left hanging with nothing to wait for', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('says where it stalled and exits 70, never silently with Node\'s 13', async () => {
    const result = await runCli(sendArgs(sample, workspace.out, workspace.state, '--json'), {
      env: { NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import=${hangingTempFiles}`].filter(Boolean).join(' ') },
      timeout: 30_000,
    });

    expect(result.code).toBe(70);
    expect(result.stderr).toBe(
      `unspool: ${sample}: internal error: the run stalled at writing an entry to a temp file (holiday/beach-01.png) with nothing left to wait for; ` +
        'its state is saved: run the same command again to resume, and please report this\n',
    );
    // The next run, without the fault, delivers everything.
    const again = await runCli(sendArgs(sample, workspace.out, workspace.state, '--json'));
    expect(again.code).toBe(0);
    expect(again.summary).toMatchObject({ delivered: 17, failed: [] });
  });
});
