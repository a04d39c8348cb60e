import { Api, helpers, type TelegramClient } from 'telegram';
import { ConfigError } from '../errors.js';
import { realWait, telegramCall, type Wait } from './telegramCall.js';
import { describeTelegramError, rpcErrorName } from './telegramErrors.js';

/** Where albums may go, once resolved: the peer to send to, and who is sending. */
export interface ResolvedChat {
  readonly peer: Api.TypeInputPeer;
  /** Words for messages: `@name` or the title. */
  readonly title: string;
}

const unknownChat = /^(USERNAME_NOT_OCCUPIED|USERNAME_INVALID|CHANNEL_INVALID|CHANNEL_PRIVATE|PEER_ID_INVALID|CHAT_ID_INVALID|USER_ID_INVALID)$/;

function cannotPost(chat: string, why: string): ConfigError {
  return new ConfigError(`--to telegram:${chat}: ${why}`);
}

/** A chat as {@link findChat} found it: Saved Messages, a user, a group or a channel. */
export type FoundChat = Api.TypeChat | Api.User | 'self';

/** Refuses a group or channel the account cannot post media to, before any entry is read. */
function checkRights(chat: string, found: Api.TypeChat): void {
  if (found instanceof Api.ChatForbidden || found instanceof Api.ChannelForbidden) throw cannotPost(chat, 'this account was removed from that chat');
  if (found instanceof Api.Chat) {
    if (found.left || found.deactivated) throw cannotPost(chat, 'this account is not a member of that group');
    if (!found.creator && !found.adminRights && found.defaultBannedRights?.sendMedia) throw cannotPost(chat, 'members may not send media in that group');
    return;
  }
  if (found instanceof Api.Channel) {
    if (found.left && !found.creator) throw cannotPost(chat, 'this account is not a member of that chat; add it first');
    const admin = found.creator || found.adminRights !== undefined;
    if (found.broadcast && !(found.creator || found.adminRights?.postMessages)) throw cannotPost(chat, 'only admins with the right to post may post in that channel');
    if (!admin && (found.bannedRights?.sendMedia || found.defaultBannedRights?.sendMedia)) throw cannotPost(chat, 'this account may not send media in that group');
  }
}

function peerOfChat(found: Api.TypeChat): Api.TypeInputPeer {
  if (found instanceof Api.Channel) return new Api.InputPeerChannel({ channelId: found.id, accessHash: found.accessHash ?? helpers.returnBigInt(0) });
  return new Api.InputPeerChat({ chatId: found.id });
}

function titleOf(found: Api.TypeChat | Api.TypeUser): string {
  if (found instanceof Api.User) return found.username ? `@${found.username}` : [found.firstName, found.lastName].filter(Boolean).join(' ');
  if (found instanceof Api.Channel) return found.username ? `@${found.username}` : found.title;
  return 'title' in found ? found.title : String(found.id);
}

/** An answer that names no chat at all. */
function noSuchChat(where: string): never {
  throw new ConfigError(`${where}: no such chat, or this account cannot see it`);
}

/** The Bot API's offset of channel ids: a channel or supergroup `c` is `-(1000000000000 + c)`. */
const channelOffset = 1_000_000_000_000n;

async function lookUp(call: (request: Api.AnyRequest) => Promise<unknown>, chat: string, isBot: boolean, where: string): Promise<FoundChat> {
  if (chat === 'me') {
    if (isBot) throw new ConfigError(`${where}: a bot has no Saved Messages; name a chat the bot is in, or log in as a user (unspool login)`);
    return 'self';
  }
  if (/^-\d+$/.test(chat)) {
    // Ids as the Bot API and most clients show them: -100… for channels and supergroups, -… for groups.
    const id = -BigInt(chat);
    if (id > channelOffset) {
      const channelId = helpers.returnBigInt((id - channelOffset).toString());
      const answer = (await call(new Api.channels.GetChannels({ id: [new Api.InputChannel({ channelId, accessHash: helpers.returnBigInt(0) })] }))) as Api.messages.TypeChats;
      return answer.chats[0] ?? noSuchChat(where);
    }
    return ((await call(new Api.messages.GetChats({ id: [helpers.returnBigInt(id.toString())] }))) as Api.messages.TypeChats).chats[0] ?? noSuchChat(where);
  }
  if (/^\d+$/.test(chat)) {
    const [user] = (await call(new Api.users.GetUsers({ id: [new Api.InputUser({ userId: helpers.returnBigInt(chat), accessHash: helpers.returnBigInt(0) })] }))) as Api.TypeUser[];
    if (!(user instanceof Api.User)) throw new ConfigError(`${where}: no such user`);
    return user;
  }
  const username = /^@?([A-Za-z]\w{3,31})$/.exec(chat);
  if (!username) throw new ConfigError(`${where}: expected @username, a numeric id, a -100… channel id, or me`);
  const resolved = (await call(new Api.contacts.ResolveUsername({ username: username[1]! }))) as Api.contacts.ResolvedPeer;
  const { peer } = resolved;
  if (peer instanceof Api.PeerUser) {
    const user = resolved.users.find((candidate) => candidate.id.equals(peer.userId));
    if (user instanceof Api.User) return user;
  } else {
    const id = peer instanceof Api.PeerChannel ? peer.channelId : peer.chatId;
    const found = resolved.chats.find((candidate) => candidate.id.equals(id));
    if (found) return found;
  }
  throw new ConfigError(`${where}: Telegram resolved the name to nothing it described`);
}

/**
 * Finds a chat named as `--to telegram:` and `tg:` sources take it: `@username` (or a bare
 * username), a numeric user id, a `-…` group id, a `-100…` channel or supergroup id (read by
 * value, as the Bot API writes them), or `me` (Saved Messages, user accounts only). Asks for no
 * rights: see {@link resolveChat} for a chat to post to. A chat that cannot be found is a
 * {@link ConfigError} whose message starts with `where`.
 *
 * @param send Sends one request (through {@link telegramCall}, so flood waits are waited out).
 * @param chat The chat as the user wrote it.
 * @param isBot Whether the account is a bot (a bot has no Saved Messages).
 * @param where What the messages name: `--to telegram:<chat>`, or the archive.
 */
export async function findChat(send: (request: Api.AnyRequest) => Promise<unknown>, chat: string, isBot: boolean, where: string): Promise<FoundChat> {
  try {
    return await lookUp(send, chat, isBot, where);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const name = rpcErrorName(error);
    if (name && unknownChat.test(name)) throw new ConfigError(`${where}: no such chat, or this account cannot see it (${name})`, { cause: error });
    throw new ConfigError(`${where}: could not look the chat up: ${describeTelegramError(error)}`, { cause: error });
  }
}

/** The peer to address requests about a found chat to. */
export function inputPeerOf(found: FoundChat): Api.TypeInputPeer {
  if (found === 'self') return new Api.InputPeerSelf();
  if (found instanceof Api.User) return new Api.InputPeerUser({ userId: found.id, accessHash: found.accessHash ?? helpers.returnBigInt(0) });
  return peerOfChat(found);
}

/**
 * Resolves a `--to telegram:<chat>` value once, at start: `@username` (or a bare username), a
 * numeric user id, a `-…` group id, a `-100…` channel or supergroup id, or `me` (Saved Messages,
 * user accounts only). A chat that does not exist, or where this account may not post media, is a
 * {@link ConfigError} (exit 2) before any entry is read. Uses only `client.invoke`, through
 * {@link telegramCall}, so a flood wait on the look-up is waited out.
 */
export async function resolveChat(client: TelegramClient, chat: string, isBot: boolean, wait: Wait = realWait): Promise<ResolvedChat> {
  const send = telegramCall(client, wait);
  const signal = new AbortController().signal;
  const found = await findChat((request) => send(request, signal), chat, isBot, `--to telegram:${chat}`);
  if (found === 'self') return { peer: inputPeerOf(found), title: 'Saved Messages' };
  if (found instanceof Api.User) {
    if (found.deleted) throw cannotPost(chat, 'that account is deleted');
    return { peer: inputPeerOf(found), title: titleOf(found) };
  }
  checkRights(chat, found);
  return { peer: inputPeerOf(found), title: titleOf(found) };
}
