import { Api } from 'telegram';
import { chatRefOf } from './chatRef.js';
import type { ChatRef } from './job.js';

/** A file that came with a message: a photo, or a document (archives, videos, music, anything). */
export type IncomingFile =
  | { readonly kind: 'photo'; readonly photo: Api.Photo }
  | { readonly kind: 'document'; readonly document: Api.Document; readonly fileName: string };

/** A message to the bot, as the bot reads it. */
export interface IncomingMessage {
  /** Its id in its chat. */
  readonly id: number;
  readonly chat: ChatRef;
  /** Who sent it: a user id, or none for a channel's own posts. */
  readonly senderId?: string;
  readonly text: string;
  readonly file?: IncomingFile;
}

function fileOf(media: Api.TypeMessageMedia | undefined): IncomingFile | undefined {
  if (media instanceof Api.MessageMediaPhoto && media.photo instanceof Api.Photo) return { kind: 'photo', photo: media.photo };
  if (media instanceof Api.MessageMediaDocument && media.document instanceof Api.Document) {
    const named = media.document.attributes.find((attribute): attribute is Api.DocumentAttributeFilename => attribute instanceof Api.DocumentAttributeFilename);
    return { kind: 'document', document: media.document, fileName: named?.fileName ?? `file-${media.document.id.toString()}` };
  }
  return undefined;
}

/** An update as gramjs hands it to a raw handler: with the users and chats that came with it. */
type RawUpdate = Api.TypeUpdate | Api.TypeUpdates;

/**
 * The message an update brings to the bot, if it brings one from someone else: a new message in a
 * private chat, a group or a channel, whole or in the short forms Telegram uses for private and
 * group chats. The bot's own messages (`out`) and every other kind of update are `undefined`.
 */
export function incomingMessage(update: RawUpdate): IncomingMessage | undefined {
  const entities = (update as { _entities?: Map<string, Api.TypeUser | Api.TypeChat> })._entities;
  if (update instanceof Api.UpdateNewMessage || update instanceof Api.UpdateNewChannelMessage) {
    const { message } = update;
    if (!(message instanceof Api.Message) || message.out) return undefined;
    const from = message.fromId instanceof Api.PeerUser ? message.fromId : message.peerId instanceof Api.PeerUser ? message.peerId : undefined;
    const file = fileOf(message.media);
    return {
      id: message.id,
      chat: chatRefOf(message.peerId, entities),
      ...(from ? { senderId: from.userId.toString() } : {}),
      text: message.message ?? '',
      ...(file ? { file } : {}),
    };
  }
  if (update instanceof Api.UpdateShortMessage) {
    if (update.out) return undefined;
    const peer = new Api.PeerUser({ userId: update.userId });
    return { id: update.id, chat: chatRefOf(peer, entities), senderId: update.userId.toString(), text: update.message };
  }
  if (update instanceof Api.UpdateShortChatMessage) {
    if (update.out) return undefined;
    return { id: update.id, chat: { kind: 'chat', id: update.chatId.toString() }, senderId: update.fromId.toString(), text: update.message };
  }
  return undefined;
}
