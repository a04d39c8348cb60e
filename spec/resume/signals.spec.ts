import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archivePaths } from '../../src/state/stateDir.js';
import type { Summary } from '../../src/summary.js';
import { runCli, sendArgs } from '../support/runCli.js';
import { createWorkspace, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';
import { albumFolderCount, killLeftovers, startCli, waitForAlbums } from './cliProcess.js';
import { deliveryReport } from './deliveryReport.js';
import { type ArchiveKind, mixedFiles, writeArchive } from './mixedArchive.js';

const files = mixedFiles(200, 'signals');
const albumSize = 4;

describe('unspool send stopped by a signal', () => {
  let workspace: Workspace;
  /** The CLI's `$TMPDIR`: temp files belong in `<state>/tmp`, so this must stay empty. */
  let osTmp: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    osTmp = join(workspace.root, 'os-tmp');
    await mkdir(osTmp);
  });

  afterEach(async () => {
    await killLeftovers();
    await removeWorkspace(workspace);
  });

  /** Asserts that the state folder holds no temp file, no temp manifest and no lock, and `$TMPDIR` nothing. */
  async function expectNoLeftovers(archive: string) {
    const paths = archivePaths(workspace.state, archive);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    expect(await readdir(join(workspace.state, 'locks'))).toEqual([]);
    const manifests = await readdir(join(workspace.state, 'manifests'));
    expect(manifests).toContain(`${paths.id}.json`);
    // The journal appears with the first checkpoint, which the signal may have come before.
    expect(manifests.filter((name) => name !== `${paths.id}.json` && name !== `${paths.id}.albums.jsonl`)).toEqual([]);
    expect(await readdir(osTmp)).toEqual([]);
  }

  /** Runs the same command again to the end and asserts that every entry is in the sink exactly once. */
  async function expectResumedExactlyOnce(archive: string, args: string[]) {
    const resumed = await runCli(args, { env: { TMPDIR: osTmp } });
    expect(resumed.code).toBe(0);
    expect(resumed.summary).toMatchObject({ delivered: files.length, failed: [] });
    const report = await deliveryReport(workspace.out, files, albumSize);
    expect(report).toMatchObject({ delivered: files.length, duplicated: [], missing: [], wrongBytes: [], idsInTwoFolders: [], partial: [] });
    expect(resumed.summary?.albums).toBe(report.folders);
    await expectNoLeftovers(archive);
  }

  it.each([
    ['SIGINT', 130, 'zip'],
    ['SIGTERM', 143, 'zip'],
    ['SIGINT', 130, 'tar.gz'],
    ['SIGTERM', 143, 'tar.gz'],
  ] as [NodeJS.Signals, number, ArchiveKind][])('exits on %s with %i, says how to resume, and leaves no temp file (%s)', async (signal, code, format) => {
    const archive = join(workspace.root, `music.${format}`);
    await writeArchive(format, archive, files);
    const args = sendArgs(archive, workspace.out, workspace.state, '--album-size', String(albumSize));
    const cli = startCli(args, { TMPDIR: osTmp });
    expect(await waitForAlbums(cli, workspace.out, 1)).toBe(true);
    cli.kill(signal);
    const exit = await cli.exited;

    expect(exit.code).toBe(code);
    expect(exit.stderr).toBe(`unspool: ${archive}: stopped by ${signal}; run the same command again to resume\n`);
    // The summary still ends stdout. It counts what the manifest knows, which may lag the sink by
    // the album it had just confirmed (in flight, and a no-op when sent again); never more.
    const summary = JSON.parse(exit.stdout.trim().split('\n').at(-1)!) as Summary;
    const stopped = await deliveryReport(workspace.out, files, albumSize);
    expect(stopped.delivered).toBeLessThan(files.length);
    expect(summary.albums).toBeGreaterThanOrEqual(stopped.folders - 1);
    expect(summary.albums).toBeLessThanOrEqual(stopped.folders);
    expect(summary.delivered).toBeGreaterThanOrEqual(stopped.delivered - albumSize);
    expect(summary.delivered).toBeLessThanOrEqual(stopped.delivered);
    expect(stopped.partial).toEqual([]);
    await expectNoLeftovers(archive);

    await expectResumedExactlyOnce(archive, args);
  });

  it('exits at once on a second SIGINT, and the next run still delivers everything exactly once', async () => {
    const archive = join(workspace.root, 'music.zip');
    await writeArchive('zip', archive, files);
    const args = sendArgs(archive, workspace.out, workspace.state, '--album-size', String(albumSize));
    const cli = startCli(args, { TMPDIR: osTmp });
    expect(await waitForAlbums(cli, workspace.out, 1)).toBe(true);
    cli.killGroup('SIGINT');
    await sleep(1);
    cli.killGroup('SIGINT');
    const exit = await cli.exited;

    expect(exit.code).toBe(130);
    expect(await albumFolderCount(workspace.out)).toBeLessThan(files.length / albumSize);
    await expectResumedExactlyOnce(archive, args);
  });
});
