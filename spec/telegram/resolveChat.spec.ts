import { Api, helpers } from 'telegram';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { resolveChat } from '../../src/telegram/resolveChat.js';
import { TelegramRecorder } from '../support/telegramRecorder.js';

const long = (value: number | string) => helpers.returnBigInt(value);

/** Rights Telegram gives the default member of a group: until "forever", as it sends them. */
const forever = 2_147_483_647;

/** A channel or supergroup as Telegram describes it to a member who is not an admin. */
function channel(fields: Omit<Partial<ConstructorParameters<typeof Api.Channel>[0]>, 'id'> & { id: number }): Api.Channel {
  return new Api.Channel({
    accessHash: long(fields.id * 1000 + 7),
    title: `channel ${fields.id}`,
    photo: new Api.ChatPhotoEmpty(),
    date: 1_700_000_000,
    ...fields,
    id: long(fields.id),
  });
}

/** A basic group as Telegram describes it to a member. */
function group(fields: Omit<Partial<ConstructorParameters<typeof Api.Chat>[0]>, 'id'> & { id: number }): Api.Chat {
  return new Api.Chat({
    title: `group ${fields.id}`,
    photo: new Api.ChatPhotoEmpty(),
    participantsCount: 3,
    date: 1_700_000_000,
    version: 1,
    ...fields,
    id: long(fields.id),
  });
}

const poster = new Api.ChatAdminRights({ postMessages: true, editMessages: true, deleteMessages: true, inviteUsers: true, other: true });
const noMedia = new Api.ChatBannedRights({ sendMedia: true, sendPhotos: true, sendVideos: true, sendDocs: true, sendAudios: true, untilDate: forever });

/** Resolves and returns the ConfigError it must fail with. */
async function refusal(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('resolveChat', () => {
  let recorder: TelegramRecorder;

  beforeEach(() => {
    recorder = new TelegramRecorder();
  });

  it('resolves @name with contacts.ResolveUsername to the channel with its access hash', async () => {
    recorder.server.add(channel({ id: 555, username: 'my_channel', broadcast: true, adminRights: poster }));
    const { peer, title } = await resolveChat(recorder.client, '@my_channel', true);
    expect(recorder.requests.map((request) => request.className)).toEqual(['contacts.ResolveUsername']);
    expect(recorder.of<Api.contacts.ResolveUsername>('contacts.ResolveUsername')[0]!.username).toBe('my_channel');
    expect(peer).toBeInstanceOf(Api.InputPeerChannel);
    expect((peer as Api.InputPeerChannel).channelId.toString()).toBe('555');
    expect((peer as Api.InputPeerChannel).accessHash.toString()).toBe('555007');
    expect(title).toBe('@my_channel');
  });

  it('takes a username without the @ too', async () => {
    recorder.server.add(channel({ id: 556, username: 'photos_group', megagroup: true }));
    const { peer } = await resolveChat(recorder.client, 'photos_group', false);
    expect((peer as Api.InputPeerChannel).channelId.toString()).toBe('556');
  });

  it('refuses a broadcast channel where the account is only a subscriber: only admins may post', async () => {
    recorder.server.add(channel({ id: 557, username: 'news_feed', broadcast: true }));
    const error = await refusal(resolveChat(recorder.client, '@news_feed', false));
    expect(error.message).toBe('--to telegram:@news_feed: only admins with the right to post may post in that channel');
  });

  it('refuses a broadcast channel where the account is an admin without the right to post', async () => {
    const editor = new Api.ChatAdminRights({ editMessages: true, deleteMessages: true, inviteUsers: true });
    recorder.server.add(channel({ id: 558, username: 'news_feed', broadcast: true, adminRights: editor }));
    const error = await refusal(resolveChat(recorder.client, '@news_feed', false));
    expect(error.message).toMatch(/only admins with the right to post/);
  });

  it('takes a broadcast channel the account created', async () => {
    recorder.server.add(channel({ id: 559, username: 'mine_only', broadcast: true, creator: true }));
    const { peer } = await resolveChat(recorder.client, '@mine_only', false);
    expect((peer as Api.InputPeerChannel).accessHash.toString()).toBe('559007');
  });

  it('refuses a supergroup whose members may not send media, for a member who is not an admin', async () => {
    recorder.server.add(channel({ id: 560, username: 'chatty_group', megagroup: true, defaultBannedRights: noMedia }));
    const error = await refusal(resolveChat(recorder.client, '@chatty_group', false));
    expect(error.message).toBe('--to telegram:@chatty_group: this account may not send media in that group');
  });

  it('takes that supergroup for an admin, whom the default rights do not bind', async () => {
    recorder.server.add(channel({ id: 561, username: 'chatty_group', megagroup: true, defaultBannedRights: noMedia, adminRights: poster }));
    const { peer } = await resolveChat(recorder.client, '@chatty_group', false);
    expect((peer as Api.InputPeerChannel).channelId.toString()).toBe('561');
  });

  it('refuses a supergroup where this member alone is barred from media', async () => {
    recorder.server.add(channel({ id: 562, username: 'strict_group', megagroup: true, bannedRights: noMedia }));
    const error = await refusal(resolveChat(recorder.client, '@strict_group', false));
    expect(error.message).toMatch(/may not send media/);
  });

  it('refuses a channel the account has left, saying to add it first', async () => {
    recorder.server.add(channel({ id: 563, username: 'old_group', megagroup: true, left: true }));
    const error = await refusal(resolveChat(recorder.client, '@old_group', false));
    expect(error.message).toBe('--to telegram:@old_group: this account is not a member of that chat; add it first');
  });

  it('refuses me for a bot before asking Telegram anything: a bot has no Saved Messages', async () => {
    const error = await refusal(resolveChat(recorder.client, 'me', true));
    expect(error.message).toMatch(/^--to telegram:me: a bot has no Saved Messages/);
    expect(recorder.requests).toEqual([]);
  });

  it('resolves me for a user to Saved Messages without asking Telegram', async () => {
    const { peer, title } = await resolveChat(recorder.client, 'me', false);
    expect(peer).toBeInstanceOf(Api.InputPeerSelf);
    expect(title).toBe('Saved Messages');
    expect(recorder.requests).toEqual([]);
  });

  it('looks a -100… id up with channels.GetChannels, as InputChannel(id, access hash 0)', async () => {
    recorder.server.add(channel({ id: 123, megagroup: true }));
    // The Bot API's form: -(10^12 + channel id).
    const { peer } = await resolveChat(recorder.client, '-1000000000123', true);
    const [request] = recorder.of<Api.channels.GetChannels>('channels.GetChannels');
    expect(recorder.requests).toHaveLength(1);
    const input = request!.id[0] as Api.InputChannel;
    expect(input).toBeInstanceOf(Api.InputChannel);
    expect([input.channelId.toString(), input.accessHash.toString()]).toEqual(['123', '0']);
    // The peer carries the access hash Telegram answered with, not the 0 it was asked with.
    expect(peer).toBeInstanceOf(Api.InputPeerChannel);
    expect((peer as Api.InputPeerChannel).accessHash.toString()).toBe('123007');
  });

  it('refuses a -100… channel the account was removed from (ChannelForbidden)', async () => {
    recorder.server.add(new Api.ChannelForbidden({ id: long(124), accessHash: long(9), title: 'gone', megagroup: true }));
    const error = await refusal(resolveChat(recorder.client, '-1000000000124', true));
    expect(error.message).toBe('--to telegram:-1000000000124: this account was removed from that chat');
  });

  it('reads -100… ids by value, not by prefix: -1001234567 is basic group 1001234567', async () => {
    recorder.server.add(group({ id: 1_001_234_567 }));
    const { peer } = await resolveChat(recorder.client, '-1001234567', true);
    expect(recorder.of('channels.GetChannels')).toEqual([]);
    expect((peer as Api.InputPeerChat).chatId.toString()).toBe('1001234567');
  });

  it('looks a -… id up with messages.GetChats, as a basic group', async () => {
    recorder.server.add(group({ id: 321 }));
    const { peer, title } = await resolveChat(recorder.client, '-321', false);
    const [request] = recorder.of<Api.messages.GetChats>('messages.GetChats');
    expect(request!.id.map(String)).toEqual(['321']);
    expect(peer).toBeInstanceOf(Api.InputPeerChat);
    expect((peer as Api.InputPeerChat).chatId.toString()).toBe('321');
    expect(title).toBe('group 321');
  });

  it('refuses a basic group that was upgraded to a supergroup (deactivated)', async () => {
    recorder.server.add(group({ id: 322, deactivated: true, migratedTo: new Api.InputChannel({ channelId: long(900), accessHash: long(1) }) }));
    const error = await refusal(resolveChat(recorder.client, '-322', false));
    expect(error.message).toBe('--to telegram:-322: this account is not a member of that group');
  });

  it('refuses a basic group whose members may not send media', async () => {
    recorder.server.add(group({ id: 323, defaultBannedRights: noMedia }));
    const error = await refusal(resolveChat(recorder.client, '-323', false));
    expect(error.message).toBe('--to telegram:-323: members may not send media in that group');
  });

  it('looks a numeric id up with users.GetUsers and sends to the user with their access hash', async () => {
    recorder.server.add(new Api.User({ id: long(777), accessHash: long(4242), firstName: 'Ada', lastName: 'L' }));
    const { peer, title } = await resolveChat(recorder.client, '777', true);
    const [request] = recorder.of<Api.users.GetUsers>('users.GetUsers');
    const input = request!.id[0] as Api.InputUser;
    expect([input.userId.toString(), input.accessHash.toString()]).toEqual(['777', '0']);
    expect(peer).toBeInstanceOf(Api.InputPeerUser);
    expect([(peer as Api.InputPeerUser).userId.toString(), (peer as Api.InputPeerUser).accessHash.toString()]).toEqual(['777', '4242']);
    expect(title).toBe('Ada L');
  });

  it('says there is no such user when Telegram does not return one', async () => {
    const error = await refusal(resolveChat(recorder.client, '778', true));
    expect(error.message).toBe('--to telegram:778: no such user');
  });

  it('resolves @name of a user to that user', async () => {
    recorder.server.add(new Api.User({ id: long(779), accessHash: long(99), firstName: 'Bo', username: 'bo_the_user' }));
    const { peer, title } = await resolveChat(recorder.client, '@bo_the_user', false);
    expect((peer as Api.InputPeerUser).accessHash.toString()).toBe('99');
    expect(title).toBe('@bo_the_user');
  });

  it('refuses a deleted account', async () => {
    recorder.server.add(new Api.User({ id: long(780), accessHash: long(1), deleted: true }));
    const error = await refusal(resolveChat(recorder.client, '780', false));
    expect(error.message).toBe('--to telegram:780: that account is deleted');
  });

  it('turns USERNAME_NOT_OCCUPIED into a ConfigError saying there is no such chat', async () => {
    const error = await refusal(resolveChat(recorder.client, '@nobody_here', false));
    expect(error.message).toBe('--to telegram:@nobody_here: no such chat, or this account cannot see it (USERNAME_NOT_OCCUPIED)');
  });

  it('turns CHANNEL_INVALID for an unknown -100… id into the same ConfigError', async () => {
    const error = await refusal(resolveChat(recorder.client, '-1000000000999', true));
    expect(error.message).toMatch(/no such chat, or this account cannot see it \(CHANNEL_INVALID\)$/);
  });

  it.each(['a b', '@x', '@abc', 'my-channel', 't.me/name', '@', '-'])('refuses %j before asking Telegram, naming the accepted forms', async (chat) => {
    const error = await refusal(resolveChat(recorder.client, chat, false));
    expect(error.message).toBe(`--to telegram:${chat}: expected @username, a numeric id, a -100… channel id, or me`);
    expect(recorder.requests).toEqual([]);
  });

  // Reported bug: resolveChat calls client.invoke directly, not through telegramCall, so a flood
  // wait on contacts.ResolveUsername (which Telegram limits hard) ends the run with exit 2 as if the
  // setting were wrong, instead of being waited out like every other request.
  it('waits out a FLOOD_WAIT on contacts.ResolveUsername instead of failing as a config error', async () => {
    recorder.server.add(channel({ id: 570, username: 'busy_channel', megagroup: true }));
    recorder.fail('contacts.ResolveUsername', 420, 'FLOOD_WAIT_1');
    const { peer } = await resolveChat(recorder.client, '@busy_channel', false);
    expect((peer as Api.InputPeerChannel).channelId.toString()).toBe('570');
  });
});
