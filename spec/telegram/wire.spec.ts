import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, helpers, type TelegramClient } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { telegramSink } from '../../src/sinks/telegram/telegramSink.js';
import { pngBytes } from '../support/media.js';
import { runCli } from '../support/runCli.js';
import { runSend } from '../support/runSend.js';
import { sha256 } from '../support/sampleBytes.js';
import { TelegramWire } from '../support/telegramWire.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';
import { writeZip } from '../support/zipFixtures.js';

const sample = resolve('samples', 'sample.zip');

/** The user account a session logs in as: `--to telegram:me` needs one that is not a bot. */
const user = new Api.User({ id: helpers.returnBigInt(4242), accessHash: helpers.returnBigInt(9), self: true, firstName: 'Ada' });

describe('the Telegram wire: MTProto over loopback TCP to a real gramjs client', () => {
  let workspace: Workspace;
  let wire: TelegramWire;
  let client: TelegramClient;

  beforeEach(async () => {
    workspace = await createWorkspace();
    wire = await TelegramWire.start();
    client = wire.client();
  });

  afterEach(async () => {
    await wire.close();
    await removeWorkspace(workspace);
  });

  it('connects with the session\'s auth key and answers updates.getState through the recorder', async () => {
    expect(await client.connect()).toBe(true);
    const state = await client.invoke(new Api.updates.GetState());
    expect(state).toBeInstanceOf(Api.updates.State);
    expect(state.pts).toBe(1);
    expect(wire.recorder.requests.map((request) => request.className)).toEqual(['updates.GetState']);
    expect(wire.accepted).toBe(1);
    expect(wire.handlerErrors).toEqual([]);
  });

  it('delivers an album through the Telegram sink: parts, media and the send travel as MTProto', async () => {
    await client.connect();
    const archive = join(workspace.root, 'album.zip');
    const photos = [0, 1, 2].map((i) => ({ name: `p${i}.png`, data: pngBytes(40 + i, 30, i) }));
    await writeZip(archive, photos);
    const sink = telegramSink({ client, peer: new Api.InputPeerSelf(), chat: 'me' });
    const { summary } = await runSend(archive, { sink, state: workspace.state });

    expect(summary).toMatchObject({ entries: 3, delivered: 3, failed: [] });
    const { messages } = wire.recorder.server;
    expect(messages.map((message) => [message.caption, message.sha256])).toEqual(photos.map((photo) => [photo.name, sha256(photo.data)]));
    expect(new Set(messages.map((message) => message.groupedId)).size).toBe(1);
    expect(wire.recorder.of('messages.SendMultiMedia')).toHaveLength(1);
  });

  it('gets a request sent while the port refuses connections answered once it listens again', async () => {
    // gramjs gives up after its connection retries (unspool's: 3, 1 s apart, after 1 s): five
    // keep a 3 s outage inside its window whatever unspool's settings become.
    client = wire.client({ connectionRetries: 5, retryDelay: 1000 });
    await client.connect();
    await wire.goDown('refuse');
    const answer = client.invoke(new Api.updates.GetState());
    await sleep(3000);
    expect(wire.recorder.requests).toEqual([]);
    await wire.comeBack();

    expect(await answer).toBeInstanceOf(Api.updates.State);
    expect(wire.recorder.of('updates.GetState')).toHaveLength(1);
    expect(wire.accepted).toBeGreaterThanOrEqual(2);
  });

  it('cuts the connection after Telegram acted when told to: gramjs sends the request again on a new one', async () => {
    await client.connect();
    let cuts = 0;
    wire.onRequest = (request) => (request instanceof Api.messages.SendMessage && cuts++ === 0 ? 'drop-connection' : 'answer');
    const sent = await client.invoke(new Api.messages.SendMessage({ peer: new Api.InputPeerSelf(), message: 'hello', randomId: helpers.returnBigInt(77) }));

    expect(sent).toBeInstanceOf(Api.UpdateShortSentMessage);
    // Telegram got it twice: the first answer was lost with the connection.
    expect(wire.recorder.of<Api.messages.SendMessage>('messages.SendMessage').map((request) => request.message)).toEqual(['hello', 'hello']);
    expect(wire.accepted).toBe(2);
    // gramjs asks who it is after every reconnect.
    expect(wire.recorder.of('users.GetUsers')).toHaveLength(1);
  });

  it('cuts the connection before Telegram sees a request when told to: Telegram gets it once, on the new connection', async () => {
    await client.connect();
    let cuts = 0;
    wire.onRequest = (request) => (request instanceof Api.updates.GetState && cuts++ === 0 ? 'drop-unseen' : 'answer');

    expect(await client.invoke(new Api.updates.GetState())).toBeInstanceOf(Api.updates.State);
    expect(wire.recorder.of('updates.GetState')).toHaveLength(1);
    expect(cuts).toBe(2);
    expect(wire.accepted).toBe(2);
  });

  it('resets every open connection once and goes on listening', async () => {
    await client.connect();
    await wire.goDown('reset');

    expect(await client.invoke(new Api.updates.GetState())).toBeInstanceOf(Api.updates.State);
    expect(wire.accepted).toBe(2);
    expect(wire.openConnections).toBe(1);
  });

  it('resets a connection a blackhole swallowed at the client\'s next bytes after it, and gramjs sends the request again', async () => {
    await client.connect();
    await wire.goDown('blackhole');
    const answer = client.invoke(new Api.updates.GetState());
    await sleep(1000);
    await wire.comeBack();

    expect(await answer).toBeInstanceOf(Api.updates.State);
    expect(wire.recorder.of('updates.GetState')).toHaveLength(1);
    expect(wire.accepted).toBe(2);
  });

  it('holds a request in a blackhole and answers it when the connection revives', async () => {
    await client.connect();
    await wire.goDown('blackhole');
    let settled = false;
    const answer = client.invoke(new Api.updates.GetState()).finally(() => (settled = true));
    await sleep(1000);
    expect(settled).toBe(false);
    expect(wire.recorder.requests).toEqual([]);
    await wire.comeBack({ revive: true });

    expect(await answer).toBeInstanceOf(Api.updates.State);
    expect(wire.accepted).toBe(1);
  });

  it('leaves new connections unanswered while unreachable: connect() hangs, and completes once the network is back', async () => {
    await client.connect();
    await wire.goDown('unreachable');
    let connected: boolean | undefined;
    const late = wire.client();
    const connecting = late.connect().then((result) => (connected = result));
    await sleep(2000);
    expect(connected).toBeUndefined();
    expect(wire.accepted).toBe(1);
    await wire.comeBack();

    // The kernel sends the SYN again 1, 3 and 7 s after the first: the 3 s one gets through.
    expect(await connecting).toBe(true);
    expect(wire.accepted).toBe(2);
    expect(await client.invoke(new Api.updates.GetState())).toBeInstanceOf(Api.updates.State);
  });

  it('runs the built CLI in a child process against it: `send --to telegram:me` delivers every entry', async () => {
    wire.recorder.server.me = user;
    const result = await runCli(['send', sample, '--to', 'telegram:me', '--state', workspace.state, '--json', '--min-free', '1MB'], { env: wire.env(), timeout: 60_000 });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.summary).toMatchObject({ delivered: 17, failed: [] });
    const beaches = Array.from({ length: 12 }, (_, i) => `holiday/beach-${String(i + 1).padStart(2, '0')}.png`);
    const files = [...beaches, 'music/a440.wav', 'music/e660.wav', 'README.txt', 'docs/itinerary.csv', 'docs/notes.md'];
    expect(wire.recorder.server.messages.map((message) => message.caption).sort()).toEqual(files.sort());
    // The login as connectTelegram does it: the state, then who the session is.
    expect(wire.recorder.requests.slice(0, 2).map((request) => request.className)).toEqual(['updates.GetState', 'users.GetUsers']);
  });
});
