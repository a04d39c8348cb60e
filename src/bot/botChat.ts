import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Api, helpers, type TelegramClient } from 'telegram';
import { type FloodWaitListener, realWait, telegramCall, type Wait } from '../telegram/telegramCall.js';
import { captionLimit } from '../sinks/telegram/caption.js';
import { sendOnce } from '../sinks/telegram/sendOnce.js';
import { rpcErrorName } from '../telegram/telegramErrors.js';
import { uploadFile } from '../sinks/telegram/uploadFile.js';
import { inputPeerOf } from './chatRef.js';
import type { ChatRef } from './job.js';

/** Telegram's longest text message, in characters. */
export const messageLimit = 4096;

/** How the bot talks in a chat: plain text, edited in place, or a text file for long lists. */
export interface BotChat {
  /** Sends a message; resolves to its id. Text over {@link messageLimit} is cut with `…`. */
  say(chat: ChatRef, text: string): Promise<number>;
  /** Replaces a message's text. An unchanged text is not an error. */
  edit(chat: ChatRef, messageId: number, text: string): Promise<void>;
  /** Sends text as a `.txt` document with a caption. */
  sendText(chat: ChatRef, fileName: string, text: string, caption: string): Promise<void>;
  /** Deletes a message, if Telegram lets the bot (a message holding a password, say); never throws. */
  forget(chat: ChatRef, messageId: number): Promise<void>;
}

/** Options of {@link botChat}. */
export interface BotChatOptions {
  readonly client: TelegramClient;
  /** A folder for the text files of {@link BotChat.sendText}, deleted once sent. */
  readonly scratch: string;
  readonly wait?: Wait | undefined;
  readonly onFloodWait?: FloodWaitListener | undefined;
}

function randomId(): Api.long {
  return helpers.readBigIntFromBuffer(randomBytes(8), true, true);
}

function cut(text: string): string {
  return text.length <= messageLimit ? text : `${text.slice(0, messageLimit - 1)}…`;
}

/**
 * The bot's side of a conversation, over the same `invoke` as everything else: flood waits are
 * waited out (see `telegramCall`), link previews are off, and every message carries a fresh
 * `random_id`, which Telegram deduplicates: a send that reaches it twice (gramjs sends a request
 * again after a reconnect) is answered with the first message or `RANDOM_ID_DUPLICATE`, both read
 * as sent (see `sendOnce`).
 */
export function botChat(options: BotChatOptions): BotChat {
  const wait = options.wait ?? realWait;
  const call = telegramCall(options.client, wait, options.onFloodWait);
  const never = new AbortController().signal;
  const send = { call, wait, signal: never };
  return {
    async say(chat, text) {
      const request = new Api.messages.SendMessage({ peer: inputPeerOf(chat), message: cut(text), randomId: randomId(), noWebpage: true });
      // An id Telegram would not say is 0, which no message has.
      return Object.values(await sendOnce(send, request))[0] ?? 0;
    },
    async edit(chat, messageId, text) {
      try {
        await call(new Api.messages.EditMessage({ peer: inputPeerOf(chat), id: messageId, message: cut(text), noWebpage: true }), never);
      } catch (error) {
        if (rpcErrorName(error) !== 'MESSAGE_NOT_MODIFIED') throw error;
      }
    },
    async sendText(chat, fileName, text, caption) {
      const path = join(options.scratch, `${randomBytes(6).toString('hex')}.txt`);
      const bytes = Buffer.from(text, 'utf8');
      await writeFile(path, bytes);
      try {
        const file = await uploadFile({ call, path, size: bytes.length, name: fileName, wait: options.wait ?? realWait, signal: never });
        const media = new Api.InputMediaUploadedDocument({
          file,
          mimeType: 'text/plain',
          attributes: [new Api.DocumentAttributeFilename({ fileName })],
        });
        await sendOnce(send, new Api.messages.SendMedia({ peer: inputPeerOf(chat), media, message: caption.slice(0, captionLimit), randomId: randomId() }));
      } finally {
        await rm(path, { force: true });
      }
    },
    async forget(chat, messageId) {
      const request =
        chat.kind === 'channel'
          ? new Api.channels.DeleteMessages({ channel: new Api.InputChannel({ channelId: helpers.returnBigInt(chat.id), accessHash: helpers.returnBigInt(chat.accessHash) }), id: [messageId] })
          : new Api.messages.DeleteMessages({ id: [messageId], revoke: true });
      await call(request, never).catch(() => undefined);
    },
  };
}
