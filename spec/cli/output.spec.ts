import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/summary.js';
import { cliPath, sendArgs } from '../support/runCli.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';

/** 1006 entries, most of them empty: its summary lists about 1000 skipped entries, some 96 KB of JSON. */
const everything = resolve('spec', 'corpus', 'yauzl', 'success', 'everything.zip');

describe('unspool send writing to a pipe read slowly', () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('writes the whole summary, larger than a pipe holds, before it exits', async () => {
    const command = [process.execPath, cliPath, ...sendArgs(everything, workspace.out, workspace.state, '--json')].map((word) => `'${word}'`).join(' ');
    // Nobody reads for a while, as a slow consumer would (`… | (sleep 2; cat)`): the pipe fills, and
    // the CLI must not exit until it has taken the rest.
    const result = spawnSync('sh', ['-c', `${command} | (sleep 2; cat)`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });

    expect(result.status).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(65_536);
    const summary = JSON.parse(result.stdout.trimEnd().split('\n').at(-1)!) as Summary;
    expect(summary.entries).toBe(1006);
    expect(summary.skipped.length).toBeGreaterThan(900);
  });
});
