import { mkdir, readdir, readFile, statfs } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadTelegram, partsLogOf } from '../bot/telegramFile.js';
import { type HttpServer, startHttpServer } from '../support/httpServer.js';
import { runCli, sendArgs } from '../support/runCli.js';
import { pseudoRandomBytes, sha256 } from '../support/sampleBytes.js';
import { createWorkspace, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';
import { type CliExit, type CliProcess, killLeftovers, startCli } from './cliProcess.js';
import { deliveryReport } from './deliveryReport.js';
import { mixedFiles, writeArchive } from './mixedArchive.js';
import type { TelegramSendPlan } from './telegramSendCommand.js';

/**
 * SIGINT and SIGTERM end a run within 2 s in every state it can wait in, and the next run
 * delivers every entry exactly once: the time is measured from the signal to the process's end.
 */

/** The promise: from the signal to the exit. */
const promised = 2_000;
/** How long a run that does not stop is waited for, so that the failure says so and is quick. */
const patience = 6_000;
const files = mixedFiles(12, 'signal-states');
const albumSize = 4;
const signals = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as [NodeJS.Signals, number][];
const telegramChild = resolve('dist', 'spec', 'resume', 'telegramSendCommand.js');

/** Waits until `condition` holds, failing after 20 s, or as soon as the run ends, with what the process wrote. */
async function until(cli: CliProcess, condition: () => boolean, what: string): Promise<void> {
  const held = await vi.waitFor(() => {
    if (condition()) return true;
    if (!cli.running()) return false;
    throw new Error(`no ${what} after 20 s: ${JSON.stringify(cli.output())}`);
  }, { timeout: 20_000, interval: 10 });
  if (!held) throw new Error(`the run ended before ${what}: ${JSON.stringify(cli.output())}`);
}

/** Sends `signal` and waits for the process to end: how it ended, and the milliseconds it took. */
async function stop(cli: CliProcess, signal: NodeJS.Signals): Promise<{ exit: CliExit; elapsed: number }> {
  const start = performance.now();
  cli.kill(signal);
  const exit = await Promise.race([cli.exited, sleep(patience).then(() => undefined)]);
  const elapsed = performance.now() - start;
  if (!exit) throw new Error(`still running ${patience} ms after ${signal}: ${JSON.stringify(cli.output())}`);
  return { exit, elapsed };
}

describe('unspool send stopped by a signal, in every state it waits in', () => {
  let workspace: Workspace;
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

  /**
   * Stops the run, and asserts that it ended within the promised time with the signal's code and
   * the line saying how to resume, leaving no temp file and no lock.
   *
   * @return Milliseconds from the signal to the end.
   */
  async function expectStopped(cli: CliProcess, signal: NodeJS.Signals, code: number, shown: string): Promise<number> {
    const { exit, elapsed } = await stop(cli, signal);
    expect(exit.code).toBe(code);
    expect(elapsed).toBeLessThan(promised);
    expect(exit.stderr.split('\n')).toContain(`unspool: ${shown}: stopped by ${signal}; run the same command again to resume`);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    expect(await readdir(join(workspace.state, 'locks')).catch(() => [])).toEqual([]);
    expect(await readdir(osTmp)).toEqual([]);
    return elapsed;
  }

  /** Runs the same command into a folder again, to the end, and asserts every entry is there exactly once. */
  async function expectResumedIntoFolder(args: string[]) {
    const resumed = await runCli(args, { env: { TMPDIR: osTmp } });
    expect(resumed.code).toBe(0);
    expect(resumed.summary).toMatchObject({ delivered: files.length, failed: [] });
    const report = await deliveryReport(workspace.out, files, albumSize);
    expect(report).toMatchObject({ delivered: files.length, duplicated: [], missing: [], wrongBytes: [], idsInTwoFolders: [], partial: [] });
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  }

  describe('into a folder', () => {
    let archive: string;

    beforeEach(async () => {
      archive = join(workspace.root, 'mixed.zip');
      await writeArchive('zip', archive, files);
    });

    it.each(signals)('ends within 2 s on %s while waiting for free space, with %i', async (signal, code) => {
      // Real and without a seam: a threshold above what is free (but within the volume) pauses the run.
      const disk = await statfs(workspace.root);
      const free = disk.bavail * disk.bsize;
      const minFree = Math.floor(free + (disk.blocks * disk.bsize - free) / 2);
      const args = sendArgs(archive, workspace.out, workspace.state, '--album-size', String(albumSize));
      const cli = startCli([...args, '--min-free', String(minFree), '--verbose'], { TMPDIR: osTmp });
      await until(cli, () => cli.output().stderr.includes('"event":"paused"'), 'pause');
      await expectStopped(cli, signal, code, archive);
      await expectResumedIntoFolder(args);
    });
  });

  describe('from an http(s) address', () => {
    let server: HttpServer;
    let url: string;
    let args: string[];

    beforeEach(async () => {
      server = await startHttpServer();
      const archive = join(workspace.root, 'mixed.zip');
      await writeArchive('zip', archive, files);
      server.serve('/files/mixed.zip', await readFile(archive));
      url = server.url('/files/mixed.zip');
      args = sendArgs(url, workspace.out, workspace.state, '--album-size', String(albumSize));
    });

    afterEach(async () => {
      await server.close();
    });

    const answered503 = () => server.log.some((request) => request.status === 503);

    it.each(signals)("ends within 2 s on %s during a Retry-After: 30 for a zip entry's local header, with %i", async (signal, code) => {
      // The first entry's local header is its archive's first 30 bytes.
      server.fault({ status: 503, headers: { 'Retry-After': '30' } }, (request) => request.range === 'bytes=0-29', 1);
      const cli = startCli(args, { TMPDIR: osTmp });
      await until(cli, answered503, 'a 503');
      await expectStopped(cli, signal, code, url);
      await expectResumedIntoFolder(args);
    });

    it.each(signals)('ends within 2 s on %s from a server that keeps answering 503, with %i, and asks it nothing more', async (signal, code) => {
      let failing = true;
      server.fault({ status: 503, headers: { 'Retry-After': '10' } }, (request) => failing && request.range === 'bytes=0-29', Infinity);
      const cli = startCli(args, { TMPDIR: osTmp });
      await until(cli, answered503, 'a 503');
      await expectStopped(cli, signal, code, url);
      const asked = server.log.length;
      await sleep(200);
      expect(server.log.length).toBe(asked);
      failing = false;
      await expectResumedIntoFolder(args);
    });

    it.each(signals)('ends within 2 s on %s during a Retry-After: 30 while the archive is being opened, with %i', async (signal, code) => {
      // The probe: the first request of all.
      server.fault({ status: 503, headers: { 'Retry-After': '30' } }, (request) => request.range === 'bytes=0-0', 1);
      const cli = startCli(args, { TMPDIR: osTmp });
      await until(cli, answered503, 'a 503');
      const { exit, elapsed } = await stop(cli, signal);
      expect(exit.code).toBe(code);
      expect(elapsed).toBeLessThan(promised);
      // Stopped before the archive was open: nothing to summarise, and nothing left behind.
      expect(exit.stderr).toBe(`unspool: ${url}: stopped by ${signal}; run the same command again to resume\n`);
      expect(await readdir(join(workspace.state, 'locks')).catch(() => [])).toEqual([]);
      expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
      await expectResumedIntoFolder(args);
    });
  });

  describe('into a recorded Telegram', () => {
    let serverFile: string;

    beforeEach(() => {
      serverFile = join(workspace.root, 'telegram.json');
    });

    const startTelegram = (archive: string, plan: Partial<TelegramSendPlan> = {}) =>
      startCli([JSON.stringify({ archive, state: workspace.state, serverFile, albumSize, ...plan })], { TMPDIR: osTmp }, telegramChild);

    /** Runs the same command again to the end, and asserts Telegram holds every file exactly once. */
    async function expectResumedIntoTelegram(archive: string, expected: readonly { data: Buffer }[]) {
      const resumed = startTelegram(archive);
      const exit = await resumed.exited;
      expect(exit.code).toBe(0);
      expect(JSON.parse(exit.stdout.trim().split('\n').at(-1)!)).toMatchObject({ delivered: expected.length, failed: [] });
      const messages = loadTelegram(serverFile).messages;
      expect(messages.map((message) => message.sha256).sort()).toEqual(expected.map((file) => sha256(file.data)).sort());
      expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    }

    it.each(signals)('ends within 2 s on %s in a flood wait, with %i', async (signal, code) => {
      const archive = join(workspace.root, 'mixed.zip');
      await writeArchive('zip', archive, files);
      const cli = startTelegram(archive, { floodWait: 600 });
      await until(cli, () => cli.output().stderr.includes('"event":"flood-wait"'), 'flood wait');
      await expectStopped(cli, signal, code, archive);
      await expectResumedIntoTelegram(archive, files);
    });

    it.each(signals)('ends within 2 s on %s in the middle of a big upload, with %i, and the next run sends only the parts missing', async (signal, code) => {
      const archive = join(workspace.root, 'big.zip');
      const big = { name: 'big.bin', data: pseudoRandomBytes(11 * 1024 * 1024, 'signal-states'), compress: false };
      await writeZip(archive, [big]);
      const cli = startTelegram(archive, { partDelay: 200 });
      const parts = () => cli.output().stdout.split('\n').filter((line) => line.startsWith('{"part"')).length;
      await until(cli, () => parts() >= 6, '6 parts uploaded');
      await expectStopped(cli, signal, code, archive);
      const sentBefore = partsLogOf(serverFile).length;
      expect(sentBefore).toBeLessThan(22);
      await expectResumedIntoTelegram(archive, [big]);
      // The 6 parts confirmed before the stop were saved with it (the upload journal alone saves
      // at most every 2 s), so they are not sent again.
      expect(partsLogOf(serverFile).length - sentBefore).toBeLessThanOrEqual(22 - 6);
    });

    it.each(signals)('ends within 2 s on %s, with %i, when closing the destination hangs, saying so', async (signal, code) => {
      const archive = join(workspace.root, 'mixed.zip');
      await writeArchive('zip', archive, files);
      const cli = startTelegram(archive, { floodWait: 600, closeHangs: true });
      await until(cli, () => cli.output().stderr.includes('"event":"flood-wait"'), 'flood wait');
      const { exit, elapsed } = await stop(cli, signal);
      expect(exit.code).toBe(code);
      expect(elapsed).toBeLessThan(promised);
      expect(exit.stderr.split('\n')).toContain(
        `unspool: ${archive}: stopped by ${signal}; letting go took over 1.5 s, so it exits now; run the same command again to resume`,
      );
      // The pipeline had let go before the destination was closed.
      expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
      expect(await readdir(join(workspace.state, 'locks'))).toEqual([]);
      await expectResumedIntoTelegram(archive, files);
    });
  });
  // Waiting for the network is spec/telegram/network.spec.ts's: it drops the connection under the
  // real gramjs client there, and stops the run with SIGINT and SIGTERM while it waits.
});
