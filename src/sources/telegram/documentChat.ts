import { Api, helpers } from 'telegram';
import { ConfigError } from '../../errors.js';
import { describeTelegramError, rpcErrorName } from '../../sinks/telegram/telegramErrors.js';

/** Sends one request and returns its answer (a {@link TelegramCall} with its signal bound). */
export type SendRequest = <R extends Api.AnyRequest>(request: R) => Promise<R['__response']>;

/** The Bot API's offset of channel ids: a channel or supergroup `c` is `-(1000000000000 + c)`. */
const channelOffset = 1_000_000_000_000n;

const unknownChat = /^(USERNAME_NOT_OCCUPIED|USERNAME_INVALID|CHANNEL_INVALID|CHANNEL_PRIVATE|PEER_ID_INVALID|CHAT_ID_INVALID|USER_ID_INVALID)$/;

function channelPeer(chat: Api.TypeChat | undefined, name: string): Api.InputPeerChannel {
  if (!(chat instanceof Api.Channel)) throw new ConfigError(`${name}: no such channel or supergroup, or this account is not in it`);
  return new Api.InputPeerChannel({ channelId: chat.id, accessHash: chat.accessHash ?? helpers.returnBigInt(0) });
}

async function lookUp(send: SendRequest, chat: string, name: string): Promise<Api.TypeInputPeer> {
  if (chat === 'me') return new Api.InputPeerSelf();
  if (/^-\d+$/.test(chat)) {
    const id = -BigInt(chat);
    if (id <= channelOffset) return new Api.InputPeerChat({ chatId: helpers.returnBigInt(id.toString()) });
    const channelId = helpers.returnBigInt((id - channelOffset).toString());
    const answer = await send(new Api.channels.GetChannels({ id: [new Api.InputChannel({ channelId, accessHash: helpers.returnBigInt(0) })] }));
    return channelPeer(answer.chats[0], name);
  }
  if (/^\d+$/.test(chat)) {
    const [user] = await send(new Api.users.GetUsers({ id: [new Api.InputUser({ userId: helpers.returnBigInt(chat), accessHash: helpers.returnBigInt(0) })] }));
    if (!(user instanceof Api.User)) throw new ConfigError(`${name}: no such user`);
    return new Api.InputPeerUser({ userId: user.id, accessHash: user.accessHash ?? helpers.returnBigInt(0) });
  }
  const resolved = await send(new Api.contacts.ResolveUsername({ username: chat.replace(/^@/, '') }));
  const { peer } = resolved;
  if (peer instanceof Api.PeerUser) {
    const user = resolved.users.find((candidate) => candidate.id.equals(peer.userId));
    if (user instanceof Api.User) return new Api.InputPeerUser({ userId: user.id, accessHash: user.accessHash ?? helpers.returnBigInt(0) });
  } else if (peer instanceof Api.PeerChannel) {
    return channelPeer(resolved.chats.find((candidate) => candidate.id.equals(peer.channelId)), name);
  } else {
    return new Api.InputPeerChat({ chatId: peer.chatId });
  }
  throw new ConfigError(`${name}: Telegram resolved the name to nothing it described`);
}

/**
 * The peer of a chat to read a document from, named as `resolveChat` takes it (`@name`, a numeric
 * user id, a `-…` group id, a `-100…` channel id, `me`). Unlike `resolveChat`, no right to post
 * is asked for: reading is enough. A chat that cannot be found is a {@link ConfigError}.
 *
 * @param send How to send a request (flood waits are waited out there).
 * @param chat The chat as written in the `tg:` name.
 * @param name The archive as the user named it, for messages.
 */
export async function documentChat(send: SendRequest, chat: string, name: string): Promise<Api.TypeInputPeer> {
  try {
    return await lookUp(send, chat, name);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const reason = rpcErrorName(error);
    if (reason && unknownChat.test(reason)) throw new ConfigError(`${name}: no such chat, or this account cannot see it (${reason})`, { cause: error });
    throw new ConfigError(`${name}: could not look the chat up: ${describeTelegramError(error)}`, { cause: error });
  }
}
