import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, helpers } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectTelegram } from '../../src/telegram/connectTelegram.js';
import type { NetworkState } from '../../src/telegram/telegramNetwork.js';
import type { Summary } from '../../src/summary.js';
import { killLeftovers, startCli } from '../resume/cliProcess.js';
import { type ArchivedFile, mixedFiles, writeArchive } from '../resume/mixedArchive.js';
import { runCli } from '../support/runCli.js';
import { TelegramWire, wireRedirect } from '../support/telegramWire.js';
import { createWorkspace, filesUnder, removeWorkspace, type Workspace } from '../support/workspace.js';

/**
 * Telegram out of reach, the way it happens under gramjs: the real client in the built CLI talks
 * MTProto over loopback TCP to the wire, which refuses connections or resets them. gramjs rides out
 * a short drop by itself (3 tries, a second apart, in unspool's settings); past that it stops
 * trying and strands the requests in flight, which is where unspool's network watch takes over.
 */

/** A user account: `--to telegram:me` needs one that is not a bot. */
const user = new Api.User({ id: helpers.returnBigInt(4242), accessHash: helpers.returnBigInt(9), self: true, firstName: 'Ada' });

/** Longer than gramjs's own reconnection window (about 4 s here), shorter than a test should wait. */
const longDrop = 12_000;

describe('Telegram out of reach', () => {
  let workspace: Workspace;
  let wire: TelegramWire;
  let files: ArchivedFile[];
  let archive: string;

  beforeEach(async () => {
    workspace = await createWorkspace();
    wire = await TelegramWire.start();
    wire.recorder.server.me = user;
    files = mixedFiles(24, 'network');
    archive = join(workspace.root, 'camera.zip');
    await writeArchive('zip', archive, files);
  });

  afterEach(async () => {
    await killLeftovers();
    await wire.close();
    await removeWorkspace(workspace);
  });

  const args = (...more: string[]) => ['send', archive, '--to', 'telegram:me', '--state', workspace.state, '--json', '--min-free', '1MB', '--album-size', '4', ...more];

  /** Fails the network (refused connections) as soon as Telegram has posted its first message. */
  function dropAfterFirstSend(): Promise<void> {
    return new Promise((dropped) => {
      wire.onRequest = (request) => {
        if (!(request instanceof Api.messages.SendMultiMedia || request instanceof Api.messages.SendMedia)) return undefined;
        wire.onRequest = undefined;
        // After the answer has left: the client hears of the first album, then the network goes.
        setTimeout(() => void wire.goDown('refuse').then(dropped), 50);
        return undefined;
      };
    });
  }

  /** Every file posted exactly once, with its bytes, and nothing else. */
  function expectEachPostedOnce() {
    const posted = wire.recorder.server.messages.map((message) => `${message.caption} ${message.sha256}`).sort();
    expect(posted).toEqual(files.map((file) => `${file.name} ${file.sha256}`).sort());
  }

  it('offline from the start: waits --network-wait, then says so in one line and exits 4, never 13', async () => {
    await wire.goDown('refuse');
    const started = Date.now();
    const result = await runCli(args('--network-wait', '3'), { env: wire.env(), timeout: 30_000 });

    expect(result.code).toBe(4);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.stderr).toMatch(
      new RegExp(`^unspool: ${archive.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot reach Telegram \\(no connection for \\d+ s\\): check the network; run the same command again to resume\\n$`),
    );
    expect(result.stdout).toBe('');
    expect(await filesUnder(join(workspace.state, 'tmp')).catch(() => [])).toEqual([]);
  });

  it('a drop longer than gramjs rides out, mid-run, is waited for: the run says so, goes on when the network is back, and posts each file once', async () => {
    const cli = startCli(args(), wire.env());
    await dropAfterFirstSend();
    await sleep(longDrop);
    expect(cli.running()).toBe(true);
    expect(cli.output().stderr).toMatch(/cannot reach Telegram since \d\d:\d\d:\d\d: waiting for the network; waiting up to 15 min \(--network-wait\)/);
    await wire.comeBack();
    const exit = await cli.exited;

    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/Telegram is reachable again after \d+ s; going on\n$/);
    const summary = JSON.parse(exit.stdout.trimEnd().split('\n').at(-1)!) as Summary;
    expect(summary).toMatchObject({ delivered: files.length, failed: [] });
    expectEachPostedOnce();
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
  });

  it('a drop longer than --network-wait stops the run with its summary and exit 4; the same command then finishes, each file once', async () => {
    const cli = startCli(args('--network-wait', '4'), wire.env());
    await dropAfterFirstSend();
    const exit = await cli.exited;

    expect(exit.code).toBe(4);
    expect(exit.stderr).toMatch(/cannot reach Telegram \(no connection for \d+ s\): check the network; run the same command again to resume\n$/);
    const partial = JSON.parse(exit.stdout.trimEnd().split('\n').at(-1)!) as Summary;
    expect(partial.delivered).toBeGreaterThan(0);
    expect(partial.delivered).toBeLessThan(files.length);
    expect(partial.failed).toEqual([]);
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);

    await wire.comeBack();
    const again = await runCli(args(), { env: wire.env(), timeout: 60_000 });
    expect(again.code).toBe(0);
    expect(again.summary).toMatchObject({ delivered: files.length, failed: [] });
    expectEachPostedOnce();
  });

  it('a blackhole (connections accepted, never answered) is not taken for a network: past --network-wait the run stops with exit 4, and resumes', async () => {
    const cli = startCli(args('--network-wait', '10'), wire.env());
    await new Promise<void>((blackholed) => {
      wire.onRequest = (request) => {
        if (!(request instanceof Api.messages.SendMultiMedia || request instanceof Api.messages.SendMedia)) return undefined;
        wire.onRequest = undefined;
        setTimeout(() => void wire.goDown('blackhole').then(blackholed), 50);
        return undefined;
      };
    });
    // gramjs finds a silent connection dead by its pings (about 40 s), then connects into the
    // blackhole again and takes itself for connected; the watch waits for an answer on it.
    const exit = await cli.exited;

    expect(exit.code).toBe(4);
    expect(exit.stderr).toMatch(/cannot reach Telegram \(no connection for \d+ s\): check the network; run the same command again to resume\n$/);
    await wire.comeBack();
    const again = await runCli(args(), { env: wire.env(), timeout: 60_000 });
    expect(again.code).toBe(0);
    expectEachPostedOnce();
  }, 120_000);

  it.each(['SIGINT', 'SIGTERM'] as const)('%s while it waits for the network ends the run within 2 s, state saved; the next run finishes, each file once', async (signal) => {
    const cli = startCli(args(), wire.env());
    await dropAfterFirstSend();
    // Past gramjs's own tries: the network watch is the one waiting now.
    await sleep(7_000);
    expect(cli.output().stderr).toContain('waiting for the network');
    const sent = Date.now();
    cli.killGroup(signal);
    const exit = await cli.exited;

    expect(Date.now() - sent).toBeLessThan(2_000);
    expect(exit.code).toBe(signal === 'SIGINT' ? 130 : 143);
    expect(exit.stderr).toMatch(new RegExp(`stopped by ${signal}; run the same command again to resume\\n$`));
    expect(await filesUnder(join(workspace.state, 'tmp'))).toEqual([]);
    expect(await filesUnder(join(workspace.state, 'locks'))).toEqual([]);

    await wire.comeBack();
    const again = await runCli(args(), { env: wire.env(), timeout: 60_000 });
    expect(again.code).toBe(0);
    expectEachPostedOnce();
  });

  it('connections reset under every upload are ridden out without a word or a double', async () => {
    let resets = 0;
    wire.onRequest = (request) => {
      if (!(request instanceof Api.upload.SaveFilePart) || resets >= 5) return undefined;
      resets++;
      // Telegram keeps the part; the client never hears, and gramjs sends it again on a new connection.
      return 'drop-connection';
    };
    const result = await runCli(args(), { env: wire.env(), timeout: 60_000 });

    expect(resets).toBe(5);
    expect(result.code).toBe(0);
    expect(result.summary).toMatchObject({ delivered: files.length, failed: [] });
    expectEachPostedOnce();
  });
});

describe('connectTelegram without a network (the bot: it waits without end)', () => {
  let wire: TelegramWire;

  beforeEach(async () => {
    wire = await TelegramWire.start();
    wire.recorder.server.me = user;
    // In this process, as the preload does it in a child's: the session's address leads to the wire.
    process.env.UNSPOOL_TEST_TELEGRAM_WIRE = `127.0.0.1:${wire.port}`;
    await import(pathToFileURL(wireRedirect).href);
  });

  afterEach(async () => {
    await wire.close();
  });

  it('keeps trying past gramjs\'s own tries, tells when it has waited and when Telegram is back, and logs in then', async () => {
    await wire.goDown('refuse');
    const changes: NetworkState[] = [];
    const settings = { apiId: 12345, apiHash: '0123456789abcdef0123456789abcdef', login: { session: wire.session }, from: 'in the test' };
    const connecting = connectTelegram(settings, { onChange: (state) => changes.push(state), quietFor: 1_000 });
    await sleep(8_000);
    expect(changes).toMatchObject([{ up: false }]);
    await wire.comeBack();
    const connection = await connecting;

    try {
      expect(connection.isBot).toBe(false);
      expect(changes).toMatchObject([{ up: false }, { up: true }]);
      expect(connection.network?.state.up).toBe(true);
    } finally {
      await connection.close();
    }
  });
});
