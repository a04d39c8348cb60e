import { createHash } from 'node:crypto';
import { Api, errors, helpers, type TelegramClient } from 'telegram';
import { newTelegramClient } from '../../src/telegram/connectTelegram.js';

/**
 * Telegram as the tests see it: a real gramjs `TelegramClient` whose `invoke` — the one door every
 * request of unspool goes through — is replaced by a recorder. The recorder keeps what a server
 * would (uploaded parts per file id, messages per chat by `random_id`) and answers with the `Api`
 * objects Telegram sends: `true` for a part, `MessageMediaPhoto`/`MessageMediaDocument` for
 * `messages.uploadMedia`, `Updates` with `UpdateMessageID` for a send, and for a `random_id` it
 * has seen in the chat what {@link TelegramRecorder.seenAnswer} says (by default, as documented:
 * the messages the earlier call produced). Errors are made by gramjs's own `RPCMessageToError`, as
 * the network layer makes them.
 */

/**
 * How the recorder answers a send with a `random_id` it has seen in that chat. Telegram's page on
 * updates (https://core.telegram.org/api/updates#updatemessageid-updates, "random ID
 * deduplication") says that a call with a `random_id` used before with the same peer, from any
 * session of the account, at any time (used `random_id`s are kept and do not expire), returns the
 * messages the earlier call produced instead of sending a new message, and that while the earlier
 * call is still being processed the answer is `RANDOM_ID_DUPLICATE`. What it does not say is
 * played by the other answers:
 * - `messages` (the default, the documented rule): the messages of the earlier calls, every one of
 *   them (a whole album, for one of its `random_id`s), with their `updateMessageID`s; nothing is
 *   posted, not even the items of an album whose `random_id`s are new.
 * - `no-ids`: an answer naming no message (`Updates` without `updateMessageID`); nothing is posted.
 * - `RANDOM_ID_DUPLICATE`: error 500 `RANDOM_ID_DUPLICATE`, as while the earlier call is processed.
 */
export type SeenAnswer = 'messages' | 'no-ids' | 'RANDOM_ID_DUPLICATE';

/** A request as recorded: its class name and the request object itself. */
export interface RecordedRequest {
  readonly className: string;
  readonly request: Api.AnyRequest;
  /** The data center it was sent to, when the client named one (`invoke(request, dcId)`). */
  readonly dcId?: number;
}

/** A file posted in a chat, as {@link TelegramServer.postDocument} keeps it. */
export interface StoredDocument {
  readonly id: string;
  readonly accessHash: string;
  /** The file reference Telegram accepts now: {@link TelegramServer.expireFileReference} changes it. */
  fileReference: Buffer;
  readonly bytes: Buffer;
  readonly fileName: string;
  readonly dcId: number;
  /** The message it was posted in. */
  readonly messageId: number;
  /** The channel it was posted in, or none for a private chat, a group or Saved Messages. */
  readonly channelId?: string;
}

/** One message in the recorded chat. */
export interface StoredMessage {
  readonly id: number;
  readonly randomId: string;
  readonly caption: string;
  /** `photo`, or the document's file name. */
  readonly kind: 'photo' | 'document';
  readonly fileName?: string;
  readonly mimeType?: string;
  readonly attributes: readonly Api.TypeDocumentAttribute[];
  /** SHA-256 of the uploaded bytes. */
  readonly sha256: string;
  readonly size: number;
  /** The album (`grouped_id`) it went out in, if any. */
  readonly groupedId?: string;
  /** The chat it was posted in (see {@link peerKey}). */
  readonly peer?: string;
}

/** A text message the account sent (`messages.sendMessage`), with its edits. */
export interface StoredText {
  readonly id: number;
  /** The chat (see {@link peerKey}). */
  readonly peer: string;
  /** Its text now. */
  text: string;
  /** Every text it had, the first one first. */
  readonly versions: string[];
  deleted?: boolean;
  /** The `random_id` it was sent under. */
  readonly randomId?: string;
}

/** A chat as the recorder files messages under it: a user's id, `-<id>` for a group, `-100<id>` for a channel. */
export function peerKey(peer: unknown): string {
  if (peer instanceof Api.InputPeerUser) return peer.userId.toString();
  if (peer instanceof Api.InputPeerChat) return `-${peer.chatId.toString()}`;
  if (peer instanceof Api.InputPeerChannel) return `-100${peer.channelId.toString()}`;
  return 'self';
}

/** A rule that makes matching requests fail: the first `times` of them (default 1). */
interface Fault {
  readonly match: (request: Api.AnyRequest) => boolean;
  readonly code: number;
  readonly message: string;
  times: number;
}

/** Telegram's side: survives a "crash" of the client, as the real server does. */
export class TelegramServer {
  /**
   * @param keepBytes Keep the bytes of every part, to check what arrived (default). A benchmark
   * that uploads a gigabyte keeps only their lengths, so that its memory is the client's alone.
   */
  constructor(readonly keepBytes = true) {}

  /** Uploaded parts, by file id, by part number. */
  readonly parts = new Map<string, Map<number, Buffer>>();
  /** The length of every part received, by `fileId/part`. */
  readonly partLengths = new Map<string, number>();
  /** Declared total parts of big uploads, by file id. */
  readonly totalParts = new Map<string, number>();
  /** Every message posted, in order. */
  readonly messages: StoredMessage[] = [];
  /** Messages by chat and `random_id`: `<peer>/<random_id>` (see {@link peerKey}). */
  readonly byRandomId = new Map<string, StoredMessage>();
  /** Media stored by `messages.uploadMedia`, by photo or document id. */
  readonly media = new Map<string, Omit<StoredMessage, 'id' | 'randomId' | 'caption' | 'groupedId' | 'peer'>>();
  private nextId = 1000;

  newId(): number {
    return ++this.nextId;
  }

  /** Forgets every uploaded part, as Telegram does after a while. */
  forgetUploads(): void {
    this.parts.clear();
    this.totalParts.clear();
  }

  /** Groups and channels this account can see, as Telegram describes them to it, by id. */
  readonly chats = new Map<string, Api.Chat | Api.ChatForbidden | Api.Channel | Api.ChannelForbidden>();
  /** Users this account can see, by id. */
  readonly users = new Map<string, Api.User>();

  /** The account itself, as `users.getUsers([inputUserSelf])` answers: a bot unless a test says otherwise. */
  me = new Api.User({ id: helpers.returnBigInt(777000), accessHash: helpers.returnBigInt(1), bot: true, username: 'unspool_test_bot', firstName: 'unspool' });

  /** Text messages sent, in order, with their edits. */
  readonly texts: StoredText[] = [];
  /** Ids of messages deleted with `messages.deleteMessages`. */
  readonly deleted: number[] = [];

  /** Files posted in chats, by message id: what `upload.getFile` reads. */
  readonly documents = new Map<number, StoredDocument>();

  /**
   * Posts a file as a document in a chat (a channel, or elsewhere when `channelId` is not given),
   * as someone else did before the run; `messages.getMessages`, `channels.getMessages` and
   * `upload.getFile` find it.
   *
   * @return The stored document, with the id of the message it is in.
   */
  postDocument(bytes: Buffer, options: { fileName?: string; channelId?: string; dcId?: number } = {}): StoredDocument {
    const messageId = this.newId();
    const document: StoredDocument = {
      id: String(this.newId()),
      accessHash: '77',
      fileReference: Buffer.from(`ref-${messageId}-0`),
      bytes,
      fileName: options.fileName ?? 'archive.zip',
      dcId: options.dcId ?? 2,
      messageId,
      ...(options.channelId !== undefined ? { channelId: options.channelId } : {}),
    };
    this.documents.set(messageId, document);
    return document;
  }

  /** Gives a document a new file reference: requests with the old one get `FILE_REFERENCE_EXPIRED`. */
  expireFileReference(messageId: number): void {
    const document = this.documents.get(messageId)!;
    document.fileReference = Buffer.from(`${document.fileReference.toString()}+`);
  }

  /** Makes a chat or user known to Telegram, so that look-ups by username or id find it. */
  add(...peers: (Api.Chat | Api.ChatForbidden | Api.Channel | Api.ChannelForbidden | Api.User)[]): void {
    for (const peer of peers) {
      if (peer instanceof Api.User) this.users.set(peer.id.toString(), peer);
      else this.chats.set(peer.id.toString(), peer);
    }
  }

  /**
   * Everything this server holds, as JSON: parts and other bytes as base64, `Api` objects (users,
   * chats, document attributes) as their class names and fields. A crash test saves it after every answered
   * request, so that Telegram's side outlives a killed process as the real one does.
   */
  toJSON(): TelegramServerJson {
    const media = (stored: StoredMedia): StoredMediaJson => ({ ...stored, attributes: stored.attributes.map(tlToJson) });
    const message = (stored: StoredMessage): StoredMessageJson => ({ ...stored, attributes: stored.attributes.map(tlToJson) });
    return {
      keepBytes: this.keepBytes,
      nextId: this.nextId,
      parts: [...this.parts].map(([id, parts]) => [id, [...parts].map(([part, bytes]) => [part, partBase64(bytes)])]),
      partLengths: [...this.partLengths],
      totalParts: [...this.totalParts],
      messages: this.messages.map(message),
      byRandomId: [...this.byRandomId].map(([randomId, stored]) => [randomId, message(stored)]),
      media: [...this.media].map(([id, stored]) => [id, media(stored)]),
      chats: [...this.chats.values()].map(tlToJson),
      users: [...this.users.values()].map(tlToJson),
      me: tlToJson(this.me),
      texts: this.texts.map((text) => ({ ...text, versions: [...text.versions] })),
      deleted: [...this.deleted],
      documents: [...this.documents.values()].map((document) => ({ ...document, fileReference: document.fileReference.toString('base64'), bytes: document.bytes.toString('base64') })),
    };
  }

  /** A server holding what {@link TelegramServer.toJSON} wrote; messages sent under one `random_id` stay one object. */
  static fromJSON(json: TelegramServerJson): TelegramServer {
    const server = new TelegramServer(json.keepBytes);
    server.nextId = json.nextId;
    for (const [id, parts] of json.parts) server.parts.set(id, new Map(parts.map(([part, bytes]) => [part, Buffer.from(bytes, 'base64')])));
    for (const [key, length] of json.partLengths) server.partLengths.set(key, length);
    for (const [id, total] of json.totalParts) server.totalParts.set(id, total);
    const message = (stored: StoredMessageJson): StoredMessage => ({ ...stored, attributes: stored.attributes.map(tlFromJson<Api.TypeDocumentAttribute>) });
    server.messages.push(...json.messages.map(message));
    const byId = new Map(server.messages.map((stored) => [stored.id, stored]));
    for (const [randomId, stored] of json.byRandomId) server.byRandomId.set(randomId, byId.get(stored.id) ?? message(stored));
    for (const [id, stored] of json.media) server.media.set(id, { ...stored, attributes: stored.attributes.map(tlFromJson<Api.TypeDocumentAttribute>) });
    server.add(...json.chats.map(tlFromJson<Api.Chat | Api.ChatForbidden | Api.Channel | Api.ChannelForbidden>), ...json.users.map(tlFromJson<Api.User>));
    server.me = tlFromJson<Api.User>(json.me);
    server.texts.push(...json.texts.map((text) => ({ ...text, versions: [...text.versions] })));
    server.deleted.push(...json.deleted);
    for (const document of json.documents) {
      server.documents.set(document.messageId, { ...document, fileReference: Buffer.from(document.fileReference, 'base64'), bytes: Buffer.from(document.bytes, 'base64') });
    }
    return server;
  }
}

const long = (value: string | number) => helpers.returnBigInt(value);

/** A recorder over a real client; see the file's comment. */
export class TelegramRecorder {
  readonly client: TelegramClient;
  readonly requests: RecordedRequest[] = [];
  private readonly faults: Fault[] = [];
  /** Called with each request before it is answered (a test can slow requests down here). */
  onRequest: ((request: Api.AnyRequest) => void | Promise<void>) | undefined;
  /**
   * Called after Telegram has acted on a request and before the answer reaches the client. Return
   * `'lose'` to lose the answer for good, as when the device dies right then.
   */
  onAnswered: ((request: Api.AnyRequest) => 'lose' | undefined) | undefined;
  /** How a send with a `random_id` seen in its chat is answered; see {@link SeenAnswer}. */
  seenAnswer: SeenAnswer = 'messages';

  constructor(readonly server = new TelegramServer()) {
    this.client = newTelegramClient({ apiId: 12345, apiHash: '0123456789abcdef0123456789abcdef' });
    (this.client as { invoke: TelegramClient['invoke'] }).invoke = (async (request: Api.AnyRequest, dcId?: number) => {
      this.requests.push({ className: request.className, request, ...(dcId !== undefined ? { dcId } : {}) });
      await this.onRequest?.(request);
      const fault = this.faults.find((candidate) => candidate.times > 0 && candidate.match(request));
      if (fault) {
        fault.times--;
        throw errors.RPCMessageToError(new Api.RpcError({ errorCode: fault.code, errorMessage: fault.message }), request);
      }
      const answer = this.answer(request);
      if (this.onAnswered?.(request) === 'lose') return new Promise(() => {});
      return answer;
    }) as TelegramClient['invoke'];
  }

  /** Makes the next `times` requests of a class (and matching `where`) fail with an RPC error. */
  fail(className: string, code: number, message: string, options: { times?: number; where?: (request: Api.AnyRequest) => boolean } = {}): void {
    this.faults.push({ match: (request) => request.className === className && (options.where?.(request) ?? true), code, message, times: options.times ?? 1 });
  }

  /** The recorded requests of one class. */
  of<C extends Api.AnyRequest>(className: string): C[] {
    return this.requests.filter((entry) => entry.className === className).map((entry) => entry.request as C);
  }

  private answer(request: Api.AnyRequest): unknown {
    const { server } = this;
    if (request instanceof Api.upload.SaveFilePart || request instanceof Api.upload.SaveBigFilePart) {
      // https://core.telegram.org/api/files: parts of at most 512 KiB, every part of a big file but
      // the last a multiple of 1 KiB, and a big file's parts each naming file_total_parts. Parts
      // may come in any order and in parallel ("parallel upload"), so none is refused for that.
      const id = request.fileId.toString();
      if (request.bytes.length > 512 * 1024 || (request.bytes.length % 1024 !== 0 && request instanceof Api.upload.SaveBigFilePart && request.filePart < request.fileTotalParts - 1)) {
        throw errors.RPCMessageToError(new Api.RpcError({ errorCode: 400, errorMessage: 'FILE_PART_SIZE_INVALID' }), request);
      }
      if (request instanceof Api.upload.SaveBigFilePart) server.totalParts.set(id, request.fileTotalParts);
      const parts = server.parts.get(id) ?? new Map<number, Buffer>();
      parts.set(request.filePart, server.keepBytes ? Buffer.from(request.bytes) : Buffer.alloc(0));
      server.partLengths.set(`${id}/${request.filePart}`, request.bytes.length);
      server.parts.set(id, parts);
      return true;
    }
    if (request instanceof Api.messages.UploadMedia) {
      const stored = this.storeUploaded(request.media, request);
      const id = long(server.newId());
      server.media.set(id.toString(), stored);
      const reference = Buffer.from('ref');
      if (stored.kind === 'photo') {
        return new Api.MessageMediaPhoto({
          photo: new Api.Photo({ id, accessHash: long(7), fileReference: reference, date: 1_700_000_000, sizes: [], dcId: 2 }),
        });
      }
      return new Api.MessageMediaDocument({
        document: new Api.Document({
          id,
          accessHash: long(7),
          fileReference: reference,
          date: 1_700_000_000,
          mimeType: stored.mimeType ?? 'application/octet-stream',
          size: long(stored.size),
          dcId: 2,
          attributes: [...stored.attributes],
        }),
      });
    }
    const seen = this.seen(request);
    if (seen) return seen;
    if (request instanceof Api.messages.SendMedia) {
      const message = this.post(String(request.randomId), request.message, this.mediaOf(request.media, request), undefined, peerKey(request.peer));
      return this.updates([message]);
    }
    if (request instanceof Api.messages.SendMultiMedia) {
      // https://core.telegram.org/method/messages.sendMultiMedia: an album of 2 to 10 media
      // (MULTI_MEDIA_TOO_LONG), photos and videos together or documents alone (MEDIA_INVALID).
      if (request.multiMedia.length < 2 || request.multiMedia.length > 10) {
        throw errors.RPCMessageToError(new Api.RpcError({ errorCode: 400, errorMessage: 'MULTI_MEDIA_TOO_LONG' }), request);
      }
      const groupedId = String(server.newId());
      const items = request.multiMedia.map((single) => ({ single, media: this.mediaOf(single.media, request) }));
      // A video is one with the video attribute; an mp4 sent as a file (no attribute) is a document.
      const isVideo = (media: { attributes: readonly Api.TypeDocumentAttribute[] }) => media.attributes.some((attribute) => attribute instanceof Api.DocumentAttributeVideo);
      const kinds = new Set(items.map(({ media }) => (media.kind === 'photo' || isVideo(media) ? 'visual' : media.kind)));
      if (kinds.size > 1) throw errors.RPCMessageToError(new Api.RpcError({ errorCode: 400, errorMessage: 'MEDIA_INVALID' }), request);
      return this.updates(items.map(({ single, media }) => this.post(String(single.randomId), single.message, media, groupedId, peerKey(request.peer))));
    }
    const found = this.lookUp(request) ?? this.readDocument(request) ?? this.converse(request);
    if (found !== undefined) return found;
    throw new Error(`the recorder has no answer for ${request.className}`);
  }

  /**
   * Answers the look-ups of `resolveChat` from the chats and users the server knows, with the
   * errors Telegram gives for names and ids it does not know.
   */
  private lookUp(request: Api.AnyRequest): unknown {
    const { server } = this;
    const refuse = (message: string) => errors.RPCMessageToError(new Api.RpcError({ errorCode: 400, errorMessage: message }), request);
    if (request instanceof Api.contacts.ResolveUsername) {
      const wanted = request.username.toLowerCase();
      const user = [...server.users.values()].find((candidate) => candidate.username?.toLowerCase() === wanted);
      if (user) return new Api.contacts.ResolvedPeer({ peer: new Api.PeerUser({ userId: user.id }), chats: [], users: [user] });
      const chat = [...server.chats.values()].find((candidate) => candidate instanceof Api.Channel && candidate.username?.toLowerCase() === wanted);
      if (chat) return new Api.contacts.ResolvedPeer({ peer: new Api.PeerChannel({ channelId: chat.id }), chats: [chat], users: [] });
      throw refuse('USERNAME_NOT_OCCUPIED');
    }
    if (request instanceof Api.channels.GetChannels) {
      const chats = request.id.map((input) => {
        const chat = input instanceof Api.InputChannel ? server.chats.get(input.channelId.toString()) : undefined;
        if (!(chat instanceof Api.Channel || chat instanceof Api.ChannelForbidden)) throw refuse('CHANNEL_INVALID');
        // A bot may name a channel with access hash 0; any other hash must be the right one.
        if (input instanceof Api.InputChannel && !input.accessHash.isZero() && !input.accessHash.equals(chat.accessHash ?? long(0))) throw refuse('CHANNEL_INVALID');
        return chat;
      });
      return new Api.messages.Chats({ chats });
    }
    if (request instanceof Api.messages.GetChats) {
      const chats = request.id.map((id) => {
        const chat = server.chats.get(id.toString());
        if (!(chat instanceof Api.Chat || chat instanceof Api.ChatForbidden)) throw refuse('CHAT_ID_INVALID');
        return chat;
      });
      return new Api.messages.Chats({ chats });
    }
    if (request instanceof Api.users.GetUsers) {
      // Telegram leaves out the users it does not know instead of failing the request.
      return request.id.flatMap((input) => {
        if (input instanceof Api.InputUserSelf) return [server.me];
        const user = input instanceof Api.InputUser ? server.users.get(input.userId.toString()) : undefined;
        return user ? [user] : [];
      });
    }
    return undefined;
  }

  /**
   * Answers what reading a posted document takes: the message (`messages.getMessages` outside
   * channels, `channels.getMessages` in one) with its `MessageMediaDocument`, and `upload.getFile`
   * with the bytes, refusing as Telegram does an offset not a multiple of 4 KiB (`OFFSET_INVALID`),
   * a limit not a multiple of 4 KiB, not dividing 1 MiB, or crossing a 1 MiB boundary
   * (`LIMIT_INVALID`), and a file reference no longer current (`FILE_REFERENCE_EXPIRED`).
   */
  private readDocument(request: Api.AnyRequest): unknown {
    const { server } = this;
    const refuse = (message: string) => errors.RPCMessageToError(new Api.RpcError({ errorCode: 400, errorMessage: message }), request);
    const messagesIn = (channelId: string | undefined, ids: Api.TypeInputMessage[]) =>
      ids.flatMap((input): Api.TypeMessage[] => {
        const stored = input instanceof Api.InputMessageID ? server.documents.get(input.id) : undefined;
        if (!stored || stored.channelId !== channelId) return [new Api.MessageEmpty({ id: input instanceof Api.InputMessageID ? input.id : 0 })];
        const document = new Api.Document({
          id: long(stored.id),
          accessHash: long(stored.accessHash),
          fileReference: Buffer.from(stored.fileReference),
          date: 1_700_000_000,
          mimeType: 'application/zip',
          size: long(stored.bytes.length),
          dcId: stored.dcId,
          attributes: [new Api.DocumentAttributeFilename({ fileName: stored.fileName })],
        });
        const peerId = channelId !== undefined ? new Api.PeerChannel({ channelId: long(channelId) }) : new Api.PeerUser({ userId: long(42) });
        return [new Api.Message({ id: stored.messageId, peerId, date: 1_700_000_000, message: '', media: new Api.MessageMediaDocument({ document }) })];
      });
    if (request instanceof Api.messages.GetMessages) {
      return new Api.messages.Messages({ messages: messagesIn(undefined, request.id), chats: [], users: [] });
    }
    if (request instanceof Api.channels.GetMessages) {
      const channel = request.channel instanceof Api.InputChannel ? server.chats.get(request.channel.channelId.toString()) : undefined;
      if (!(channel instanceof Api.Channel)) throw refuse('CHANNEL_INVALID');
      return new Api.messages.ChannelMessages({ pts: 1, count: request.id.length, messages: messagesIn(channel.id.toString(), request.id), chats: [channel], users: [], topics: [] });
    }
    if (request instanceof Api.upload.GetFile) {
      const { location, limit } = request;
      const offset = Number(request.offset.toString());
      if (!(location instanceof Api.InputDocumentFileLocation)) throw refuse('LOCATION_INVALID');
      const stored = [...server.documents.values()].find((candidate) => candidate.id === location.id.toString());
      if (!stored || stored.accessHash !== location.accessHash.toString()) throw refuse('FILE_ID_INVALID');
      if (!stored.fileReference.equals(Buffer.from(location.fileReference))) throw refuse('FILE_REFERENCE_EXPIRED');
      const mib = 1024 * 1024;
      if (offset < 0 || offset % 4096 !== 0) throw refuse('OFFSET_INVALID');
      if (limit <= 0 || limit % 4096 !== 0 || mib % limit !== 0 || Math.floor(offset / mib) !== Math.floor((offset + limit - 1) / mib)) throw refuse('LIMIT_INVALID');
      return new Api.upload.File({ type: new Api.storage.FileUnknown(), mtime: 1_700_000_000, bytes: Buffer.from(stored.bytes.subarray(offset, offset + limit)) });
    }
    return undefined;
  }

  /**
   * Answers what a bot says in chats: `messages.sendMessage` (an `UpdateShortSentMessage`),
   * `messages.editMessage` (`MESSAGE_NOT_MODIFIED` for the same text, as Telegram does),
   * `messages.deleteMessages`, and `updates.getState`.
   */
  private converse(request: Api.AnyRequest): unknown {
    const { server } = this;
    const refuse = (message: string) => errors.RPCMessageToError(new Api.RpcError({ errorCode: 400, errorMessage: message }), request);
    if (request instanceof Api.messages.SendMessage) {
      if (request.message.length > 4096) throw refuse('MESSAGE_TOO_LONG');
      const text: StoredText = {
        id: server.newId(),
        peer: peerKey(request.peer),
        text: request.message,
        versions: [request.message],
        ...(request.randomId !== undefined ? { randomId: String(request.randomId) } : {}),
      };
      server.texts.push(text);
      return new Api.UpdateShortSentMessage({ out: true, id: text.id, pts: text.id, ptsCount: 1, date: 1_700_000_000 });
    }
    if (request instanceof Api.messages.EditMessage) {
      const text = server.texts.find((candidate) => candidate.id === request.id && candidate.peer === peerKey(request.peer));
      if (!text || text.deleted) throw refuse('MESSAGE_ID_INVALID');
      if (request.message === text.text) throw refuse('MESSAGE_NOT_MODIFIED');
      text.text = request.message ?? '';
      text.versions.push(text.text);
      const message = new Api.Message({ id: text.id, peerId: new Api.PeerUser({ userId: long(text.peer) }), date: 1_700_000_000, message: text.text, out: true });
      return new Api.Updates({ updates: [new Api.UpdateEditMessage({ message, pts: server.newId(), ptsCount: 1 })], users: [], chats: [], date: 1_700_000_000, seq: 0 });
    }
    if (request instanceof Api.messages.DeleteMessages) {
      server.deleted.push(...request.id);
      return new Api.messages.AffectedMessages({ pts: server.newId(), ptsCount: request.id.length });
    }
    if (request instanceof Api.updates.GetState) {
      return new Api.updates.State({ pts: 1, qts: 0, date: 1_700_000_000, seq: 0, unreadCount: 0 });
    }
    return undefined;
  }

  /**
   * Checks an uploaded file's parts as Telegram does (https://core.telegram.org/api/files: a file
   * over 10 MB is an `inputFileBig` of parts saved with `upload.saveBigFilePart`, and every one of
   * its `parts` must have arrived, else `FILE_PART_X_MISSING`), and returns the SHA-256 and size of
   * what it holds.
   */
  private uploaded(file: Api.TypeInputFile, request: Api.AnyRequest): { sha256: string; size: number } {
    if (!(file instanceof Api.InputFile || file instanceof Api.InputFileBig)) {
      throw errors.RPCMessageToError(new Api.RpcError({ errorCode: 400, errorMessage: 'FILE_PARTS_INVALID' }), request);
    }
    const id = file.id.toString();
    const parts = this.server.parts.get(id);
    if (!parts) throw errors.RPCMessageToError(new Api.RpcError({ errorCode: 400, errorMessage: 'FILE_PARTS_INVALID' }), request);
    const big = file instanceof Api.InputFileBig;
    if (big !== this.server.totalParts.has(id)) throw errors.RPCMessageToError(new Api.RpcError({ errorCode: 400, errorMessage: 'FILE_PARTS_INVALID' }), request);
    for (let part = 0; part < file.parts; part++) {
      if (!parts.has(part)) throw errors.RPCMessageToError(new Api.RpcError({ errorCode: 400, errorMessage: `FILE_PART_${part}_MISSING` }), request);
    }
    const hash = createHash('sha256');
    let size = 0;
    for (let part = 0; part < file.parts; part++) {
      hash.update(parts.get(part)!);
      size += this.server.partLengths.get(`${id}/${part}`)!;
    }
    return { sha256: hash.digest('hex'), size };
  }

  private storeUploaded(media: Api.TypeInputMedia, request: Api.AnyRequest): Omit<StoredMessage, 'id' | 'randomId' | 'caption' | 'groupedId' | 'peer'> {
    if (media instanceof Api.InputMediaUploadedPhoto) {
      return { kind: 'photo', attributes: [], ...this.uploaded(media.file, request) };
    }
    if (media instanceof Api.InputMediaUploadedDocument) {
      const uploaded = this.uploaded(media.file, request);
      const fileName = media.attributes.find((attribute): attribute is Api.DocumentAttributeFilename => attribute instanceof Api.DocumentAttributeFilename)?.fileName;
      return {
        kind: 'document',
        ...(fileName !== undefined ? { fileName } : {}),
        mimeType: media.mimeType,
        attributes: media.attributes,
        ...uploaded,
      };
    }
    throw errors.RPCMessageToError(new Api.RpcError({ errorCode: 400, errorMessage: 'MEDIA_INVALID' }), request);
  }

  private mediaOf(media: Api.TypeInputMedia, request: Api.AnyRequest): Omit<StoredMessage, 'id' | 'randomId' | 'caption' | 'groupedId' | 'peer'> {
    if (media instanceof Api.InputMediaPhoto && media.id instanceof Api.InputPhoto) return this.storedMediaOf(media.id.id.toString(), request);
    if (media instanceof Api.InputMediaDocument && media.id instanceof Api.InputDocument) return this.storedMediaOf(media.id.id.toString(), request);
    return this.storeUploaded(media, request);
  }

  private storedMediaOf(id: string, request: Api.AnyRequest) {
    const stored = this.server.media.get(id);
    if (!stored) throw errors.RPCMessageToError(new Api.RpcError({ errorCode: 400, errorMessage: 'MEDIA_INVALID' }), request);
    return stored;
  }

  /**
   * The answer to a send with a `random_id` already used in its chat, as {@link seenAnswer} says;
   * `undefined` for any other request.
   */
  private seen(request: Api.AnyRequest): unknown {
    const { server } = this;
    if (!(request instanceof Api.messages.SendMedia || request instanceof Api.messages.SendMultiMedia || request instanceof Api.messages.SendMessage)) return undefined;
    const peer = peerKey(request.peer);
    const randomIds = request instanceof Api.messages.SendMultiMedia ? request.multiMedia.map((single) => String(single.randomId)) : [String(request.randomId)];
    const earlier = randomIds.flatMap((randomId) => server.byRandomId.get(`${peer}/${randomId}`) ?? []);
    const earlierText = request instanceof Api.messages.SendMessage ? server.texts.find((text) => text.peer === peer && text.randomId === randomIds[0]) : undefined;
    if (earlier.length === 0 && !earlierText) return undefined;
    if (this.seenAnswer === 'RANDOM_ID_DUPLICATE') {
      throw errors.RPCMessageToError(new Api.RpcError({ errorCode: 500, errorMessage: 'RANDOM_ID_DUPLICATE' }), request);
    }
    if (this.seenAnswer === 'no-ids') return new Api.Updates({ updates: [], users: [], chats: [], date: 1_700_000_000, seq: 0 });
    if (earlierText) return new Api.UpdateShortSentMessage({ out: true, id: earlierText.id, pts: earlierText.id, ptsCount: 1, date: 1_700_000_000 });
    // Every message the earlier calls produced: an album's, whichever of its random_ids was seen.
    const calls = new Set(earlier.map((message) => message.groupedId ?? `message ${message.id}`));
    return this.updates(server.messages.filter((message) => message.peer === peer && calls.has(message.groupedId ?? `message ${message.id}`)));
  }

  /** Posts a message in a chat, under a `random_id` not used there before. */
  private post(randomId: string, caption: string, media: Omit<StoredMessage, 'id' | 'randomId' | 'caption' | 'groupedId' | 'peer'>, groupedId: string | undefined, peer: string): StoredMessage {
    const message: StoredMessage = { id: this.server.newId(), randomId, caption, ...media, ...(groupedId ? { groupedId } : {}), peer };
    this.server.messages.push(message);
    this.server.byRandomId.set(`${peer}/${randomId}`, message);
    return message;
  }

  private updates(messages: readonly StoredMessage[]): Api.Updates {
    const peer = new Api.PeerUser({ userId: long(42) });
    return new Api.Updates({
      updates: messages.flatMap((message) => [
        new Api.UpdateMessageID({ id: message.id, randomId: long(message.randomId) }),
        new Api.UpdateNewMessage({
          message: new Api.Message({ id: message.id, peerId: peer, date: 1_700_000_000, message: message.caption, out: true }),
          pts: message.id,
          ptsCount: 1,
        }),
      ]),
      users: [],
      chats: [],
      date: 1_700_000_000,
      seq: 0,
    });
  }
}

/** What `messages.uploadMedia` stores: a message's media without the message. */
type StoredMedia = Omit<StoredMessage, 'id' | 'randomId' | 'caption' | 'groupedId' | 'peer'>;

/** A {@link StoredMessage} as JSON. */
type StoredMessageJson = Omit<StoredMessage, 'attributes'> & { readonly attributes: readonly TlJson[] };

/** Stored media as JSON. */
type StoredMediaJson = Omit<StoredMedia, 'attributes'> & { readonly attributes: readonly TlJson[] };

/** A {@link TelegramServer} as {@link TelegramServer.toJSON} writes it. */
export interface TelegramServerJson {
  readonly keepBytes: boolean;
  readonly nextId: number;
  /** Uploaded parts by file id: `[part, base64]` pairs. */
  readonly parts: readonly (readonly [string, readonly (readonly [number, string])[]])[];
  readonly partLengths: readonly (readonly [string, number])[];
  readonly totalParts: readonly (readonly [string, number])[];
  readonly messages: readonly StoredMessageJson[];
  readonly byRandomId: readonly (readonly [string, StoredMessageJson])[];
  readonly media: readonly (readonly [string, StoredMediaJson])[];
  /** Chats, users and the account itself, as `Api` objects in JSON. */
  readonly chats: readonly TlJson[];
  readonly users: readonly TlJson[];
  readonly me: TlJson;
  readonly texts: readonly StoredText[];
  readonly deleted: readonly number[];
  /** Posted documents, their file reference and bytes as base64. */
  readonly documents: readonly (Omit<StoredDocument, 'fileReference' | 'bytes'> & { readonly fileReference: string; readonly bytes: string })[];
}

/** Parts as base64, by part: a part never changes, and a crash test saves the server after every request. */
const partsBase64 = new WeakMap<Buffer, string>();

function partBase64(bytes: Buffer): string {
  let text = partsBase64.get(bytes);
  if (text === undefined) partsBase64.set(bytes, (text = bytes.toString('base64')));
  return text;
}

/** An `Api` object as JSON: its class name and its fields, longs and bytes tagged. */
type TlJson = { readonly $tl: string; readonly fields: Record<string, unknown> };

/** Fields every `Api` object has that are not its own: rebuilt by its constructor. */
const tlMeta = new Set(['CONSTRUCTOR_ID', 'SUBCLASS_OF_ID', 'className', 'classType', 'originalArgs', 'flags', 'flags2']);

/**
 * An `Api` object as JSON. Not Telegram's binary form: gramjs writes some objects that it cannot
 * read back (a `User` with `bot` set and no `botInfoVersion` shares that field's flag bit).
 */
function tlToJson(object: object): TlJson {
  const value = (field: unknown): unknown => {
    if (Buffer.isBuffer(field)) return { $bytes: field.toString('base64') };
    if (helpers.returnBigInt(0).constructor === (field as object | undefined)?.constructor) return { $long: String(field) };
    if (Array.isArray(field)) return field.map(value);
    if (field !== null && typeof field === 'object' && 'className' in field) return tlToJson(field);
    return field;
  };
  const fields = Object.entries(object).filter(([key, field]) => !tlMeta.has(key) && field !== undefined);
  return { $tl: (object as { className: string }).className, fields: Object.fromEntries(fields.map(([key, field]) => [key, value(field)])) };
}

/** The `Api` object that {@link tlToJson} wrote. */
function tlFromJson<T>(json: TlJson): T {
  const value = (field: unknown): unknown => {
    if (Array.isArray(field)) return field.map(value);
    if (field === null || typeof field !== 'object') return field;
    if ('$bytes' in field) return Buffer.from(String(field.$bytes), 'base64');
    if ('$long' in field) return long(String(field.$long));
    return tlFromJson(field as TlJson);
  };
  const Class = json.$tl.split('.').reduce((scope: Record<string, unknown>, name) => scope[name] as Record<string, unknown>, Api as unknown as Record<string, unknown>);
  return new (Class as unknown as new (args: Record<string, unknown>) => T)(Object.fromEntries(Object.entries(json.fields).map(([key, field]) => [key, value(field)])));
}
