import { Api } from 'telegram';
import { ConfigError } from '../../errors.js';
import { findChat, inputPeerOf } from '../../telegram/resolveChat.js';

/** Sends one request and returns its answer (a {@link TelegramCall} with its signal bound). */
export type SendRequest = <R extends Api.AnyRequest>(request: R) => Promise<R['__response']>;

/**
 * The peer of a chat to read a document from, named as `resolveChat` takes it (`@name`, a numeric
 * user id, a `-…` group id, a `-100…` channel id, `me`), found by the same `findChat`. Unlike
 * `resolveChat`, no right to post is asked for: reading is enough. A chat that cannot be found, or
 * that this account was removed from, is a {@link ConfigError}.
 *
 * @param send How to send a request (flood waits are waited out there).
 * @param chat The chat as written in the `tg:` name.
 * @param name The archive as the user named it, for messages.
 * @param isBot Whether the account is a bot (a bot has no Saved Messages).
 */
export async function documentChat(send: SendRequest, chat: string, name: string, isBot: boolean): Promise<Api.TypeInputPeer> {
  const found = await findChat(send, chat, isBot, name);
  if (found instanceof Api.ChatForbidden || found instanceof Api.ChannelForbidden) throw new ConfigError(`${name}: this account was removed from that chat`);
  return inputPeerOf(found);
}
