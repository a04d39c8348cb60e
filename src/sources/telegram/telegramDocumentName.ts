/**
 * How a document in a Telegram chat is named on the command line: `tg:<chat>/<message-id>`, or
 * the message's link `https://t.me/<name>/<id>` or `https://t.me/c/<internal-id>/<id>`; and a
 * volume set posted as several documents, `tg:<chat>/<id1>+<id2>+…` (its messages in volume
 * order). This module
 * does no I/O, so the pipeline can load it for every run to key an archive's state without loading
 * gramjs.
 */
import { ConfigError } from '../../errors.js';

/** The message a `tg:` name points at. */
export interface TelegramDocumentName {
  /** The chat as `resolveChat` takes it: `@name`, a numeric id, a `-…` / `-100…` id, or `me`. */
  readonly chat: string;
  /** The message's id in that chat; of a volume set, its first volume's. */
  readonly messageId: number;
}

/** The messages a `tg:<chat>/<id1>+<id2>+…` name points at: a volume set, one document a volume. */
export interface TelegramVolumeSetName {
  readonly chat: string;
  /** The messages' ids in that chat, in volume order (two or more, each once). */
  readonly messageIds: readonly number[];
}

const tgName = /^tg:(@?[A-Za-z]\w{3,31}|-?\d{1,20}|me)\/(\d{1,10})$/i;
const tgSetName = /^tg:(@?[A-Za-z]\w{3,31}|-?\d{1,20}|me)\/(\d{1,10}(?:\+\d{1,10})+)$/i;

/** The most volumes a `tg:` set name may list. */
const maxVolumes = 1000;
const publicLink = /^https?:\/\/(?:t|telegram)\.me\/([A-Za-z]\w{3,31})\/(\d{1,10})\/?(?:\?.*)?$/i;
const privateLink = /^https?:\/\/(?:t|telegram)\.me\/c\/(\d{1,15})\/(\d{1,10})\/?(?:\?.*)?$/i;

/** `me`, an id as written, or a username with its `@` (written or not). */
function chatOf(chat: string): string {
  if (chat.toLowerCase() === 'me') return 'me';
  return /^[A-Za-z]/.test(chat) ? `@${chat}` : chat;
}

/** Whether an archive argument names a Telegram message (`tg:…` or a `t.me` message link). */
export function isTelegramDocumentName(text: string): boolean {
  return /^tg:/i.test(text) || publicLink.test(text) || privateLink.test(text);
}

/** Whether an archive argument names a volume set of Telegram documents (`tg:<chat>/<id1>+<id2>…`). */
export function isTelegramVolumeSetName(text: string): boolean {
  return tgSetName.test(text.trim());
}

/**
 * The chat and messages a `tg:<chat>/<id1>+<id2>+…` name stands for: a volume set posted as
 * separate documents, its message ids in volume order as written.
 *
 * ## Examples
 * ```ts
 * import { parseTelegramVolumeSetName } from './telegramDocumentName.js';
 * parseTelegramVolumeSetName('tg:123456/7+8+10'); // { chat: '123456', messageIds: [7, 8, 10] }
 * ```
 *
 * @param text `tg:<chat>/<id1>+<id2>+…`.
 * @throws ConfigError for anything else (a single message included), an id of 0, an id listed
 * twice, or more than 1 000 volumes, saying how to write it.
 */
export function parseTelegramVolumeSetName(text: string): TelegramVolumeSetName {
  const named = tgSetName.exec(text.trim());
  const messageIds = named ? named[2]!.split('+').map(Number) : [];
  const wrong =
    !named ? 'not a volume set of Telegram messages'
    : messageIds.some((id) => id < 1) ? 'message ids count from 1'
    : new Set(messageIds).size !== messageIds.length ? 'a message is listed twice'
    : messageIds.length > maxVolumes ? `more than ${maxVolumes} volumes`
    : undefined;
  if (wrong) throw new ConfigError(`${text}: ${wrong}; write tg:<chat>/<id1>+<id2>+… (its messages in volume order, chat as @name, a numeric id, a -100… id, or me)`);
  return { chat: chatOf(named![1]!), messageIds };
}

/**
 * The chat and message a `tg:` name or a `t.me` link stands for. A public link's name becomes
 * `@name`; a private link's internal channel id becomes the `-100…` id clients show.
 *
 * ## Examples
 * ```ts
 * import { parseTelegramDocumentName } from './telegramDocumentName.js';
 * parseTelegramDocumentName('tg:@archives/42'); // { chat: '@archives', messageId: 42 }
 * parseTelegramDocumentName('https://t.me/c/1234567/8'); // { chat: '-1001234567', messageId: 8 }
 * ```
 *
 * @param text `tg:<chat>/<message-id>`, `https://t.me/<name>/<id>` or `https://t.me/c/<id>/<id>`.
 * @throws ConfigError for anything else, saying how to write it.
 */
export function parseTelegramDocumentName(text: string): TelegramDocumentName {
  const trimmed = text.trim();
  const named = tgName.exec(trimmed);
  const linked = publicLink.exec(trimmed);
  const inner = privateLink.exec(trimmed);
  const chat = named ? chatOf(named[1]!) : linked ? `@${linked[1]}` : inner ? `-100${inner[1]}` : undefined;
  const messageId = Number((named ?? linked ?? inner)?.[2] ?? 0);
  if (chat === undefined || messageId < 1) {
    throw new ConfigError(`${text}: not a Telegram message; write tg:<chat>/<message-id> (chat as @name, a numeric id, a -100… id, or me), or paste the message's t.me link`);
  }
  return { chat, messageId };
}

/**
 * What identifies a Telegram document across runs, whichever way it was named:
 * `tg:<chat>/<message-id>`, with `@name` lower-cased (usernames are not case-sensitive); and a
 * volume set, `tg:<chat>/<id1>+<id2>+…` in its order: the same set named the same way keeps its
 * state, and never shares it with its first volume read alone.
 *
 * @param text An archive argument.
 * @return The key, or `undefined` when `text` is not a well-formed `tg:` name or message link.
 */
export function telegramDocumentKeyOf(text: string): string | undefined {
  if (!isTelegramDocumentName(text)) return undefined;
  const lowered = (chat: string) => (chat.startsWith('@') ? chat.toLowerCase() : chat);
  try {
    if (isTelegramVolumeSetName(text)) {
      const { chat, messageIds } = parseTelegramVolumeSetName(text);
      return `tg:${lowered(chat)}/${messageIds.join('+')}`;
    }
    const { chat, messageId } = parseTelegramDocumentName(text);
    return `tg:${lowered(chat)}/${messageId}`;
  } catch {
    return undefined;
  }
}
