import { Api, helpers, type TelegramClient } from 'telegram';
import type { AlbumGroup } from '../step.js';
import { mediaReference } from '../telegram/mediaReference.js';
import { randomIdOf } from '../telegram/randomId.js';
import { sendOnce } from '../sinks/telegram/sendOnce.js';
import { realWait, telegramCall, type Wait } from '../telegram/telegramCall.js';
import { describeTelegramError } from '../telegram/telegramErrors.js';
import { chatIdOf } from './chatRef.js';
import type { IncomingFile, IncomingMessage } from './incomingMessage.js';
import type { ChatRef } from './job.js';

/** Options of {@link mediaRelay}. */
export interface MediaRelayOptions {
  readonly client: TelegramClient;
  /** Milliseconds to wait after a file for more, so that files sent together go out together. Default: 3 000. */
  readonly window?: number | undefined;
  readonly wait?: Wait | undefined;
  /** Told when files could not be passed on, with the chat they came from. */
  readonly onFailure: (chat: ChatRef, count: number, reason: string) => void;
  /** Told when files went out. */
  readonly onSent?: ((chat: ChatRef, count: number) => void) | undefined;
}

/** Files waiting to go out from one chat to one destination. */
interface Batch {
  readonly from: ChatRef;
  readonly to: Api.TypeInputPeer;
  readonly messages: IncomingMessage[];
  timer?: NodeJS.Timeout;
  done?: Promise<void>;
}

/** Passes plain media on to a destination, a few seconds after the last one arrives. */
export interface MediaRelay {
  /** Adds a message with a file; it goes out with the others of its chat once they stop coming. */
  add(message: IncomingMessage & { readonly file: IncomingFile }, to: Api.TypeInputPeer, toKey: string): void;
  /** Sends everything waiting now, and resolves once it has gone (or failed). */
  flush(): Promise<void>;
}

/** The album group of a file: photos and videos together, music together, anything else as documents. */
export function relayGroupOf(file: IncomingFile): AlbumGroup {
  if (file.kind === 'photo') return 'visual';
  const { attributes } = file.document;
  if (attributes.some((attribute) => attribute instanceof Api.DocumentAttributeVideo && !attribute.roundMessage)) return 'visual';
  if (attributes.some((attribute) => attribute instanceof Api.DocumentAttributeAudio && !attribute.voice)) return 'audio';
  return 'document';
}

/**
 * A photo, video, song or other file sent to the bot on its own (not an archive) is passed on to
 * the destination as it is: by reference to the file Telegram already has, with its caption.
 * Files sent within `window` milliseconds of each other go as albums of up to 10 of one group, in
 * the order they came. Each message's `random_id` is derived from its chat and id, so a repeated
 * attempt cannot post it twice, and Telegram's answer that it has the message counts as sent (see
 * `sendOnce`). The files are held in memory only for the window: a restart inside it loses them
 * (the owner sees no "sent" and can send them again).
 */
export function mediaRelay(options: MediaRelayOptions): MediaRelay {
  const window = options.window ?? 3_000;
  const wait = options.wait ?? realWait;
  const once = { call: telegramCall(options.client, wait), wait, signal: new AbortController().signal };
  const batches = new Map<string, Batch>();

  const sendGroup = async (batch: Batch, messages: readonly IncomingMessage[]) => {
    const single = ({ file, text, id }: IncomingMessage) => ({
      media: mediaReference(file!.kind === 'photo' ? file!.photo : file!.document),
      message: text,
      randomId: helpers.returnBigInt(randomIdOf(`relay:${chatIdOf(batch.from)}`, id)),
    });
    // Telegram's answer that it has the messages already (they went before) is a send, not a failure.
    if (messages.length === 1) {
      const { media, message, randomId } = single(messages[0]!);
      await sendOnce(once, new Api.messages.SendMedia({ peer: batch.to, media, message, randomId }));
      return;
    }
    const multiMedia = messages.map((message) => {
      const { media, message: caption, randomId } = single(message);
      return new Api.InputSingleMedia({ media, message: caption, randomId });
    });
    await sendOnce(once, new Api.messages.SendMultiMedia({ peer: batch.to, multiMedia }));
  };

  const send = async (batch: Batch) => {
    const groups = new Map<AlbumGroup, IncomingMessage[]>();
    // Updates may be handled out of order; message ids say the order they were sent in.
    for (const message of batch.messages.sort((a, b) => a.id - b.id)) {
      const group = relayGroupOf(message.file!);
      groups.set(group, [...(groups.get(group) ?? []), message]);
    }
    for (const messages of groups.values()) {
      for (let start = 0; start < messages.length; start += 10) {
        const chunk = messages.slice(start, start + 10);
        try {
          await sendGroup(batch, chunk);
          options.onSent?.(batch.from, chunk.length);
        } catch (error) {
          options.onFailure(batch.from, chunk.length, describeTelegramError(error));
        }
      }
    }
  };

  const go = (key: string) => {
    const batch = batches.get(key);
    if (!batch || batch.done) return batch?.done;
    clearTimeout(batch.timer);
    batches.delete(key);
    batch.done = send(batch);
    return batch.done;
  };

  return {
    add(message, to, toKey) {
      const key = `${chatIdOf(message.chat)}>${toKey}`;
      const batch = batches.get(key) ?? { from: message.chat, to, messages: [] };
      batches.set(key, batch);
      batch.messages.push(message);
      clearTimeout(batch.timer);
      batch.timer = setTimeout(() => void go(key), window);
    },
    async flush() {
      await Promise.all([...batches.keys()].map(go));
    },
  };
}
