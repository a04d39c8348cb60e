import { setTimeout as sleep } from 'node:timers/promises';
import { Api } from 'telegram';
import { afterEach, describe, expect, it } from 'vitest';
import { UnreachableError } from '../../src/errors.js';
import { telegramCall } from '../../src/telegram/telegramCall.js';
import { networkOf, type TelegramNetwork, watchTelegramNetwork } from '../../src/telegram/telegramNetwork.js';
import { TelegramRecorder } from '../support/telegramRecorder.js';
import { TelegramWire } from '../support/telegramWire.js';

describe('watchTelegramNetwork', () => {
  let wire: TelegramWire | undefined;
  let network: TelegramNetwork | undefined;

  afterEach(async () => {
    network?.close();
    await wire?.close();
    wire = undefined;
    network = undefined;
  });

  it('connects a client it is given, and every telegramCall over it goes through the watch', async () => {
    wire = await TelegramWire.start();
    const client = wire.client();
    network = watchTelegramNetwork(client);
    expect(networkOf(client)).toBe(network);
    await network.ready();
    expect(network.state.up).toBe(true);
    const state = await telegramCall(client)(new Api.updates.GetState(), new AbortController().signal);
    expect(state).toBeInstanceOf(Api.updates.State);
  });

  it('fails a request in flight with UnreachableError once Telegram has been out of reach for giveUpAfter', async () => {
    wire = await TelegramWire.start();
    const client = wire.client();
    network = watchTelegramNetwork(client, { giveUpAfter: 2_000, checkEvery: 200 });
    await network.ready();
    await wire.goDown('refuse');
    const started = Date.now();
    const failed = await telegramCall(client)(new Api.updates.GetState(), new AbortController().signal).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(UnreachableError);
    expect((failed as Error).message).toMatch(/^cannot reach Telegram \(no connection for \d+ s\)$/);
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it('ends a wait for the network when the signal aborts', async () => {
    wire = await TelegramWire.start();
    await wire.goDown('refuse');
    network = watchTelegramNetwork(wire.client(), { checkEvery: 200 });
    const aborter = new AbortController();
    const waiting = network.ready(aborter.signal).catch((error: unknown) => error);
    await sleep(300);
    aborter.abort(new Error('stopped'));
    expect(await waiting).toMatchObject({ message: 'stopped' });
  });

  it('takes a client whose network was replaced (connect answered, no gramjs sender behind it) at its word', async () => {
    const recorder = new TelegramRecorder();
    const client = recorder.client;
    (client as { connect: () => Promise<boolean> }).connect = async () => true;
    network = watchTelegramNetwork(client, { checkEvery: 100 });
    await network.ready();
    expect(network.state.up).toBe(true);
    expect(await telegramCall(client)(new Api.updates.GetState(), new AbortController().signal)).toBeInstanceOf(Api.updates.State);
  });
});
