import { Api, helpers } from 'telegram';
import { _handleUpdate } from 'telegram/client/updates.js';
import { vi } from 'vitest';
import { type Bot, startBot, type BotOptions } from '../../src/bot/bot.js';
import type { JobSettings } from '../../src/bot/jobRun.js';
import type { DiskSpaceProbe } from '../../src/freeSpace.js';
import { type StoredDocument, type StoredText, TelegramRecorder, TelegramServer } from '../support/telegramRecorder.js';

import { owner, stranger, testSettings } from './botUsers.js';

export { owner, stranger, testSettings };

const long = (value: string | number) => helpers.returnBigInt(value);

/** A bot over the recorder, and how a test talks to it as a Telegram user would. */
export interface BotHarness {
  readonly bot: Bot;
  readonly recorder: TelegramRecorder;
  readonly server: TelegramServer;
  /** What the bot logged: events and their fields. */
  readonly logs: { event: string; fields: Record<string, unknown> }[];
  /** Sends the bot a text message, as `from` (default: the owner); resolves to its message id. */
  say(text: string, from?: Api.User): number;
  /** Sends a text message in a basic group the bot is in, as `from` (default: the owner). */
  sayInGroup(chatId: number, text: string, from?: Api.User): number;
  /** Sends the bot a message with a file. */
  sendMedia(media: Api.TypeMessageMedia, options?: { from?: Api.User; id?: number; caption?: string }): number;
  /** Forwards a document posted with `server.postDocument` to the bot, typed `mimeType` (default: `application/zip`). */
  forward(document: StoredDocument, options?: { from?: Api.User; mimeType?: string }): number;
  /** The bot's text messages in the owner's chat. */
  replies(): StoredText[];
  /** Waits for a text message to the owner matching `pattern` (after `since` of them), and returns it. */
  reply(pattern: RegExp, since?: number): Promise<StoredText>;
}

/** Polls until `check` returns something, or fails after `timeout` milliseconds naming `what`. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeout = 15_000): Promise<T> {
  return vi.waitFor(async () => {
    const found = await check();
    if (!found) throw new Error(`timed out waiting for ${what}`);
    return found;
  }, { timeout, interval: 10 });
}

/**
 * Starts a bot on a state folder over a recorder of `server` (a fresh one by default), allowing
 * the owner. Updates reach it the way gramjs hands them over from the network: through
 * `_handleUpdate`, as `Updates` with the sender among their users.
 */
export async function startTestBot(
  state: string,
  options: { server?: TelegramServer; allowed?: string[]; settings?: Partial<JobSettings>; probe?: DiskSpaceProbe } & Partial<Pick<BotOptions, 'jobs' | 'scheduler' | 'statusEvery' | 'mediaWindow' | 'open'>> = {},
): Promise<BotHarness> {
  const server = options.server ?? new TelegramServer();
  server.add(owner, stranger);
  const recorder = new TelegramRecorder(server);
  // As connectTelegram does: gramjs learns who it is before the first update comes.
  await recorder.client.getMe(true);
  const logs: BotHarness['logs'] = [];
  const bot = await startBot({
    connection: { client: recorder.client, isBot: true, premium: false, close: async () => {} },
    state,
    access: { allowedUsers: new Set(options.allowed ?? [owner.id.toString()]) },
    settings: { ...testSettings, ...options.settings },
    jobs: options.jobs ?? 1,
    statusEvery: options.statusEvery ?? 30,
    mediaWindow: options.mediaWindow ?? 150,
    log: (event, fields = {}) => logs.push({ event, fields }),
    wait: async () => {},
    probe: options.probe,
    scheduler: options.scheduler,
    open: options.open,
  });

  const deliver = (from: Api.User, message: Partial<ConstructorParameters<typeof Api.Message>[0]>, id = server.newId()) => {
    const update = new Api.UpdateNewMessage({
      message: new Api.Message({ id, peerId: new Api.PeerUser({ userId: from.id }), date: 1_700_000_000, message: '', ...message }),
      pts: id,
      ptsCount: 1,
    });
    // gramjs types its update handler narrower than what the network layer hands it (`Updates` too).
    _handleUpdate(recorder.client, new Api.Updates({ updates: [update], users: [from], chats: [], date: 1_700_000_000, seq: 0 }) as unknown as Api.TypeUpdate);
    return id;
  };

  const replies = () => server.texts.filter((text) => text.peer === owner.id.toString());
  return {
    bot,
    recorder,
    server,
    logs,
    say: (text, from = owner) => deliver(from, { message: text }),
    sayInGroup: (chatId, text, from = owner) => deliver(from, { message: text, peerId: new Api.PeerChat({ chatId: long(chatId) }), fromId: new Api.PeerUser({ userId: from.id }) }),
    sendMedia: (media, { from = owner, id, caption = '' } = {}) => deliver(from, { media, message: caption }, id),
    forward(document, { from = owner, mimeType = 'application/zip' } = {}) {
      const media = new Api.MessageMediaDocument({
        document: new Api.Document({
          id: long(document.id),
          accessHash: long(document.accessHash),
          fileReference: Buffer.from(document.fileReference),
          date: 1_700_000_000,
          mimeType,
          size: long(document.bytes.length),
          dcId: document.dcId,
          attributes: [new Api.DocumentAttributeFilename({ fileName: document.fileName })],
        }),
      });
      return deliver(from, { media }, document.messageId);
    },
    replies,
    reply: (pattern, since = 0) => eventually(() => replies().slice(since).find((text) => pattern.test(text.text)), `a reply matching ${pattern}`),
  };
}
