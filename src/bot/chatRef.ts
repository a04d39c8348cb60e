import { Api, helpers } from 'telegram';
import type { ChatRef } from './job.js';

/** A user, group or channel as gramjs hands them over with an update. */
type Entity = Api.TypeUser | Api.TypeChat;

/**
 * The chat a message is in, as a {@link ChatRef}: the id, and the access hash that replies need,
 * taken from the users and chats that came with the update. A bot may name a user or channel it
 * has no hash for with 0, so an update without them still gets its answer.
 *
 * @param peer The message's `peerId`.
 * @param entities The update's users and chats, by the ids gramjs marks them with.
 */
export function chatRefOf(peer: Api.TypePeer, entities: ReadonlyMap<string, Entity> | undefined): ChatRef {
  const hashOf = (key: string) => {
    const entity = entities?.get(key);
    const hash = entity && 'accessHash' in entity ? entity.accessHash : undefined;
    return hash ? hash.toString() : '0';
  };
  if (peer instanceof Api.PeerUser) return { kind: 'user', id: peer.userId.toString(), accessHash: hashOf(peer.userId.toString()) };
  if (peer instanceof Api.PeerChat) return { kind: 'chat', id: peer.chatId.toString() };
  const id = peer.channelId.toString();
  return { kind: 'channel', id, accessHash: hashOf(`-100${id}`) };
}

/** The peer to send to, for a {@link ChatRef}. */
export function inputPeerOf(chat: ChatRef): Api.TypeInputPeer {
  const long = helpers.returnBigInt;
  switch (chat.kind) {
    case 'user':
      return new Api.InputPeerUser({ userId: long(chat.id), accessHash: long(chat.accessHash) });
    case 'chat':
      return new Api.InputPeerChat({ chatId: long(chat.id) });
    case 'channel':
      return new Api.InputPeerChannel({ channelId: long(chat.id), accessHash: long(chat.accessHash) });
  }
}

/** A chat as `resolveChat` takes it (`-100…` for channels, `-…` for groups), for `tg:` names and logs. */
export function chatIdOf(chat: ChatRef): string {
  return chat.kind === 'user' ? chat.id : chat.kind === 'chat' ? `-${chat.id}` : `-100${chat.id}`;
}
