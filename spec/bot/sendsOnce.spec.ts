import { Api, helpers } from 'telegram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { botChat } from '../../src/bot/botChat.js';
import type { IncomingMessage } from '../../src/bot/incomingMessage.js';
import type { ChatRef } from '../../src/bot/job.js';
import { mediaRelay } from '../../src/bot/mediaRelay.js';
import { peerKey, type SeenAnswer, TelegramRecorder } from '../support/telegramRecorder.js';
import { createWorkspace, removeWorkspace, type Workspace } from '../support/workspace.js';

const ownerChat: ChatRef = { kind: 'user', id: '4242', accessHash: '99' };
const destination = new Api.InputPeerChannel({ channelId: helpers.returnBigInt(77), accessHash: helpers.returnBigInt(0) });

describe("the bot's sends, answered as a random_id Telegram has seen", () => {
  let workspace: Workspace;
  let recorder: TelegramRecorder;

  beforeEach(async () => {
    workspace = await createWorkspace();
    recorder = new TelegramRecorder();
  });

  afterEach(async () => {
    await removeWorkspace(workspace);
  });

  it('says a message once when Telegram answers RANDOM_ID_DUPLICATE, and has its id from the answer asked again', async () => {
    // The send reached Telegram twice (as gramjs does after a reconnect): the first is being processed.
    let earlier = 0;
    recorder.onRequest = (request) => {
      if (!(request instanceof Api.messages.SendMessage) || earlier) return;
      earlier = recorder.server.newId();
      recorder.server.texts.push({ id: earlier, peer: peerKey(request.peer), text: request.message, versions: [request.message], randomId: String(request.randomId) });
    };
    recorder.fail('messages.SendMessage', 500, 'RANDOM_ID_DUPLICATE');
    const waits: number[] = [];
    const chat = botChat({ client: recorder.client, scratch: workspace.root, wait: async (milliseconds) => void waits.push(milliseconds) });
    expect(await chat.say(ownerChat, 'hello')).toBe(earlier);
    expect(waits).toEqual([2000]);
    expect(recorder.server.texts.map((text) => text.text)).toEqual(['hello']);
  });

  /** Photos Telegram has, sent to the bot as messages 1, 2, 3… */
  const photoMessages = (count: number): (IncomingMessage & { file: { kind: 'photo'; photo: Api.Photo } })[] =>
    Array.from({ length: count }, (_, i) => {
      const id = String(recorder.server.newId());
      recorder.server.media.set(id, { kind: 'photo', attributes: [], sha256: `photo ${i + 1}`, size: 10 });
      const photo = new Api.Photo({ id: helpers.returnBigInt(id), accessHash: helpers.returnBigInt(7), fileReference: Buffer.from('r'), date: 1, sizes: [], dcId: 2 });
      return { id: i + 1, chat: ownerChat, text: `photo ${i + 1}`, file: { kind: 'photo', photo } };
    });

  /** Relays messages to the destination and waits for them to go; returns what the relay told. */
  const relay = async (messages: readonly (IncomingMessage & { file: { kind: 'photo'; photo: Api.Photo } })[]) => {
    const told: string[] = [];
    const relayed = mediaRelay({
      client: recorder.client,
      window: 60_000,
      wait: async () => {},
      onSent: (_chat, count) => told.push(`sent ${count}`),
      onFailure: (_chat, count, reason) => told.push(`failed ${count}: ${reason}`),
    });
    for (const message of messages) relayed.add(message, destination, 'channel 77');
    await relayed.flush();
    return told;
  };

  it.each(['messages', 'no-ids', 'RANDOM_ID_DUPLICATE'] satisfies SeenAnswer[])(
    'tells files relayed again, Telegram answering %s, as sent, not failed, and posts them once',
    async (seenAnswer) => {
      const photos = photoMessages(2);
      expect(await relay(photos)).toEqual(['sent 2']);
      recorder.seenAnswer = seenAnswer;
      expect(await relay(photos)).toEqual(['sent 2']);
      expect(recorder.server.messages.map((message) => message.caption)).toEqual(['photo 1', 'photo 2']);
    },
  );

  it('posts the file of a relayed album that Telegram had not seen, when it knew the others', async () => {
    const photos = photoMessages(3);
    await relay(photos.slice(0, 2));
    expect(await relay(photos)).toEqual(['sent 3']);
    expect(recorder.server.messages.map((message) => message.caption)).toEqual(['photo 1', 'photo 2', 'photo 3']);
  });
});
