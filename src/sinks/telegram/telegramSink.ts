import { Api, helpers, type TelegramClient } from 'telegram';
import { crashPoint } from '../../crashPoint.js';
import { SinkError, UnreachableError } from '../../errors.js';
import type { SinkReason } from '../../reasons.js';
import type { MediaType } from '../../entry.js';
import type { Album, Receipt, TempFile } from '../../step.js';
import { safeFileName } from '../safeFileName.js';
import type { DeliveryContext, SentMessages, Sink, UploadJournal, UploadRecord } from '../sink.js';
import { caption, captionLimit } from './caption.js';
import { type MediaInfo, readMediaInfo } from './mediaInfo.js';
import { mediaReference } from '../../telegram/mediaReference.js';
import { randomIdOf } from '../../telegram/randomId.js';
import { type FloodWaitListener, realWait, type TelegramCall, telegramCall, type Wait } from '../../telegram/telegramCall.js';
import { describeTelegramError, isPhotoRefused, isTransient, isUploadLost, missingPart, rpcErrorName } from '../../telegram/telegramErrors.js';
import { uploadFile } from './uploadFile.js';
import { sendOnce, type SendOnceConfig } from './sendOnce.js';

/** Largest file a bot, or an account without Premium, may upload: 2000 MiB. */
export const uploadLimit = 2000 * 1024 * 1024;

/** Largest file a Premium account may upload: 4000 MiB. */
export const premiumUploadLimit = 4000 * 1024 * 1024;

/** Options of {@link telegramSink}. */
export interface TelegramSinkOptions {
  /** A connected, logged-in client; the sink sends everything through its `invoke`. */
  readonly client: TelegramClient;
  /** The chat, as resolved by {@link resolveChat}. */
  readonly peer: Api.TypeInputPeer;
  /** The chat as the user named it, for messages. */
  readonly chat: string;
  /** Caption template; see {@link caption}. Default: `{path}`, the entry's path in the archive. */
  readonly caption?: string | undefined;
  /** Parts of one file uploaded at once, 512 KiB of memory each. Default: 4. */
  readonly workers?: number | undefined;
  /** How to wait out flood limits and timeouts. Default: a real timer. */
  readonly wait?: Wait | undefined;
  /** Told when Telegram asks to wait, before the wait. */
  readonly onFloodWait?: FloodWaitListener | undefined;
  /** Largest file Telegram takes from this account. Default: {@link uploadLimit}. */
  readonly maxFileSize?: number | undefined;
  /**
   * Send files over `maxFileSize` as numbered pieces instead of leaving them to be skipped as
   * `too-large`. Default: false.
   */
  readonly split?: boolean | undefined;
  /** Called by {@link Sink.close}: disconnects the client, for a sink that owns it. */
  readonly disconnect?: (() => Promise<void>) | undefined;
}

/** One file of an album on its way: what it is sent as, and under which `random_id`. */
interface Item {
  readonly file: TempFile;
  readonly info: MediaInfo;
  readonly randomId: string;
  readonly caption: string;
  /** Set when Telegram would not take it as a photo: it then goes alone, as a document. */
  asDocument: boolean;
  /** The `random_id`s of the pieces of a file sent in pieces, as they are sent. */
  readonly randomIds: string[];
}

/** What one upload covers: a whole file, or a piece of a split one. */
interface Piece {
  /** Its key in the {@link UploadJournal}. */
  readonly key: string;
  readonly offset: number;
  readonly size: number;
  /** The name Telegram shows. */
  readonly fileName: string;
}

/** The piece that is the whole file. */
function wholeFile(item: Item): Piece {
  const { entry } = item.file;
  return { key: String(entry.index), offset: 0, size: item.file.size, fileName: safeFileName(entry.name, `file-${entry.index}`) };
}

/** Upload progress and answered sends kept in memory, for a sink used without the pipeline's manifest. */
function memoryJournal(): UploadJournal {
  const records = new Map<string, UploadRecord>();
  const sent = new Map<string, SentMessages>();
  return {
    get: (entry) => records.get(entry),
    put: (entry, record) => (record ? records.set(entry, record) : records.delete(entry)),
    sent: (album) => sent.get(album) ?? {},
    recordSent: async (album, messages) => {
      sent.set(album, { ...sent.get(album), ...messages });
    },
  };
}

/** The media of an uploaded file, as a photo or as a document with its attributes. */
function uploadedMedia(item: Item, file: Api.TypeInputFile): Api.TypeInputMedia {
  const { info } = item;
  if (info.media === 'photo' && !item.asDocument) return new Api.InputMediaUploadedPhoto({ file });
  const attributes: Api.TypeDocumentAttribute[] = [
    new Api.DocumentAttributeFilename({ fileName: safeFileName(item.file.entry.name, `file-${item.file.entry.index}`) }),
  ];
  if (info.media === 'video') {
    attributes.push(
      new Api.DocumentAttributeVideo({
        duration: info.duration ?? 0,
        w: info.width ?? 0,
        h: info.height ?? 0,
        supportsStreaming: info.supportsStreaming ?? false,
      }),
    );
  } else if (info.media === 'audio') {
    const { title, performer } = info;
    attributes.push(new Api.DocumentAttributeAudio({ duration: Math.round(info.duration ?? 0), ...(title ? { title } : {}), ...(performer ? { performer } : {}) }));
  }
  // An image sent as a document stays a file, instead of being turned into a photo by Telegram.
  return new Api.InputMediaUploadedDocument({ file, mimeType: info.mimeType, attributes, forceFile: info.media === 'photo' || info.media === 'document' });
}

/** The media Telegram stored, as a reference `messages.sendMultiMedia` accepts. */
function storedMedia(answer: Api.TypeMessageMedia): Api.TypeInputMedia {
  if (answer instanceof Api.MessageMediaPhoto && answer.photo instanceof Api.Photo) return mediaReference(answer.photo);
  if (answer instanceof Api.MessageMediaDocument && answer.document instanceof Api.Document) return mediaReference(answer.document);
  // Named as Telegram names media it cannot use, since it is Telegram's answer that is unusable.
  throw new SinkError(`Telegram stored the file as ${answer.className}, which cannot go in an album`, { reason: 'MEDIA_INVALID', retryable: false });
}

/**
 * The sink users run: each album into a Telegram chat, through gramjs, exactly once.
 *
 * Per album: every file is uploaded in parts from its temp file ({@link uploadFile}), resuming
 * from the parts the manifest says Telegram already has; then a single file goes with
 * `messages.sendMedia` and several with `messages.uploadMedia` each and one
 * `messages.sendMultiMedia`. A photo Telegram will not take as a photo is then sent alone as a
 * document, and a file over the limit (with `split`) in pieces, each its own `messages.sendMedia`.
 *
 * Every message carries a `random_id` derived from the album id that the manifest recorded before
 * the first send ({@link randomIdOf}), and each request's answer (the message ids, by `random_id`)
 * is recorded in the journal before the next request goes ({@link sendOnce}). An attempt or a run
 * after a crash sends only what the journal does not show posted, under the same `random_id`s, so
 * a request whose answer was lost gives back the messages Telegram already has instead of new
 * ones, and the album counts as delivered only once every message of it is.
 *
 * Flood waits are waited out where they happen; timeouts and dropped connections fail the attempt
 * (the pipeline retries it, without uploading confirmed parts or sending answered requests again);
 * any other refusal fails the album with Telegram's error name as reason.
 *
 * @example
 * ```ts
 * const sink = telegramSink({ client, peer: await resolveChat(client, '@my_channel'), chat: '@my_channel' });
 * send('photos.zip', { sink, state }).subscribe();
 * ```
 */
export function telegramSink(options: TelegramSinkOptions): Sink {
  const { client, peer, chat, workers, wait = realWait, onFloodWait, disconnect, maxFileSize = uploadLimit, split = false } = options;
  const template = options.caption ?? '{path}';
  const call: TelegramCall = telegramCall(client, wait, onFloodWait);
  const fallbackJournal = memoryJournal();
  /** What {@link Sink.classify} read of each file, by temp path, until its album is sent. */
  const infos = new Map<string, MediaInfo>();

  const infoOf = async (file: TempFile): Promise<MediaInfo> => {
    const known = infos.get(file.path);
    if (known) return known;
    const info = await readMediaInfo(file);
    infos.set(file.path, info);
    return info;
  };

  /**
   * Uploads a file, or one piece of it, (or finds it uploaded) and runs `use` with it. If Telegram
   * has lost a part, or the whole upload, the missing parts are sent again and `use` runs again; at
   * most three times.
   */
  const withUpload = async <T>(
    item: Item,
    piece: Piece,
    uploads: UploadJournal,
    signal: AbortSignal,
    use: (file: Api.TypeInputFile) => Promise<T>,
  ): Promise<T> => {
    for (let repairs = 0; ; repairs++) {
      const file = await uploadFile({
        call,
        path: item.file.path,
        offset: piece.offset,
        size: piece.size,
        name: piece.fileName,
        earlier: uploads.get(piece.key),
        onPart: (record) => uploads.put(piece.key, record),
        workers,
        wait,
        signal,
      });
      try {
        return await use(file);
      } catch (error) {
        const record = uploads.get(piece.key);
        const part = missingPart(error);
        if (repairs >= 3 || !record || (part === undefined && !isUploadLost(error))) throw error;
        uploads.put(piece.key, part === undefined ? undefined : { ...record, parts: record.parts.flatMap(([first, last]) => withoutPart(first, last, part)) });
      }
    }
  };

  /** Sends a message with one media under a `random_id`, once (see {@link sendOnce}). */
  const sendMedia = (media: Api.TypeInputMedia, message: string, randomId: string, send: SendOnceConfig) =>
    sendOnce(send, new Api.messages.SendMedia({ peer, media, message, randomId: helpers.returnBigInt(randomId) }));

  /** Uploads one item and sends it alone with `messages.sendMedia`, falling back from photo to document. */
  const sendAlone = (item: Item, uploads: UploadJournal, send: SendOnceConfig): Promise<unknown> =>
    withUpload(item, wholeFile(item), uploads, send.signal, async (file) => {
      try {
        return await sendMedia(uploadedMedia(item, file), item.caption, item.randomId, send);
      } catch (error) {
        if (item.asDocument || item.info.media !== 'photo' || !isPhotoRefused(error)) throw error;
        item.asDocument = true;
        return sendMedia(uploadedMedia(item, file), item.caption, item.randomId, send);
      }
    });

  /**
   * Sends a file over the upload limit as numbered documents (`name.001`, `name.002`…) of at most
   * the limit each, which `cat` joins back; each piece is its own message with its own `random_id`.
   * A piece posted by an earlier attempt or run is not uploaded or sent again.
   */
  const sendInPieces = async (item: Item, albumId: string, uploads: UploadJournal, sent: ReadonlyMap<string, unknown>, send: SendOnceConfig): Promise<void> => {
    const count = Math.ceil(item.file.size / maxFileSize);
    for (let index = 0; index < count; index++) {
      const randomId = randomIdOf(albumId, item.file.entry.index, index);
      item.randomIds.push(randomId);
      if (sent.has(randomId)) continue;
      const number = String(index + 1).padStart(3, '0');
      const offset = index * maxFileSize;
      const piece: Piece = {
        key: `${item.file.entry.index}/${index}`,
        offset,
        size: Math.min(maxFileSize, item.file.size - offset),
        fileName: `${safeFileName(item.file.entry.name, `file-${item.file.entry.index}`)}.${number}`,
      };
      const suffix = ` (${index + 1}/${count})`;
      const message = `${item.caption.slice(0, captionLimit - suffix.length)}${suffix}`;
      const attributes = [new Api.DocumentAttributeFilename({ fileName: piece.fileName })];
      await withUpload(item, piece, uploads, send.signal, (file) =>
        sendMedia(new Api.InputMediaUploadedDocument({ file, mimeType: 'application/octet-stream', attributes, forceFile: true }), message, randomId, send),
      );
    }
  };

  /** Uploads one item of an album and has Telegram store it, as `messages.sendMultiMedia` needs. */
  const store = (item: Item, uploads: UploadJournal, signal: AbortSignal): Promise<Api.TypeInputMedia> =>
    withUpload(item, wholeFile(item), uploads, signal, async (file) => {
      const stored = (media: Api.TypeInputMedia) => call(new Api.messages.UploadMedia({ peer, media }), signal).then(storedMedia);
      try {
        return await stored(uploadedMedia(item, file));
      } catch (error) {
        if (item.asDocument || item.info.media !== 'photo' || !isPhotoRefused(error)) throw error;
        item.asDocument = true;
        return stored(uploadedMedia(item, file));
      }
    });

  /** Sends the files that fit, as an album, alone, or (a photo Telegram refused) as documents after it. */
  const sendWhole = async (pending: readonly Item[], uploads: UploadJournal, send: SendOnceConfig): Promise<void> => {
    if (pending.length === 1) {
      await sendAlone(pending[0]!, uploads, send);
      return;
    }
    const stored: Api.TypeInputMedia[] = [];
    for (const item of pending) stored.push(await store(item, uploads, send.signal));
    const together = pending.flatMap((item, i) => (item.asDocument ? [] : [{ item, media: stored[i]! }]));
    if (together.length === 1) await sendMedia(together[0]!.media, together[0]!.item.caption, together[0]!.item.randomId, send);
    if (together.length > 1) {
      const multiMedia = together.map(({ item, media }) => new Api.InputSingleMedia({ media, randomId: helpers.returnBigInt(item.randomId), message: item.caption }));
      await sendOnce(send, new Api.messages.SendMultiMedia({ peer, multiMedia }));
    }
    // A photo Telegram would not take as one is a document now, which may not join the album.
    for (const [i, item] of pending.entries()) if (item.asDocument) await sendMedia(stored[i]!, item.caption, item.randomId, send);
  };

  /**
   * Delivers an album as one request or several (the album, a refused photo alone, each piece of a
   * split file), recording each answer in the journal as it comes. What the journal says an earlier
   * attempt or run posted is neither uploaded nor sent again, so an album is delivered once every
   * request it needs is answered, whenever the process died between them.
   */
  const deliverAlbum = async (album: Album, signal: AbortSignal, context: DeliveryContext | undefined): Promise<Receipt> => {
    const uploads = context?.uploads ?? fallbackJournal;
    const sent = new Map(Object.entries(uploads.sent(album.id)));
    const send: SendOnceConfig = {
      call,
      wait,
      signal,
      record: async (messages) => {
        for (const [randomId, id] of Object.entries(messages)) sent.set(randomId, id);
        await uploads.recordSent(album.id, messages);
      },
    };
    const items: Item[] = [];
    for (const file of album.files) {
      items.push({
        file,
        info: await infoOf(file),
        randomId: randomIdOf(album.id, file.entry.index),
        randomIds: [],
        caption: caption(template, { path: file.entry.name, archive: context?.archive ?? file.entry.archive, index: file.entry.index + 1, total: context?.total }),
        asDocument: false,
      });
    }
    // Files over the limit (only with split on) go in pieces, after the rest of the album.
    const pending = items.filter((item) => item.file.size <= maxFileSize && !sent.has(item.randomId));
    if (pending.length > 0) await sendWhole(pending, uploads, send);
    for (const item of items.filter((item) => item.file.size > maxFileSize)) await sendInPieces(item, album.id, uploads, sent, send);
    for (const file of album.files) infos.delete(file.path);
    const idOf = (randomId: string) => {
      if (!sent.has(randomId)) throw new SinkError(`${chat}: Telegram's answers leave ${randomId} unaccounted for`, { reason: 'unconfirmed' satisfies SinkReason, retryable: true });
      return String(sent.get(randomId) ?? 'sent-before');
    };
    return { items: items.map((item) => (item.randomIds.length ? item.randomIds.map(idOf).join('+') : idOf(item.randomId))) };
  };

  return {
    name: `telegram:${chat}`,
    // With split on, any size is taken (in pieces); otherwise the pipeline skips what is too large.
    ...(split ? {} : { maxFileSize }),
    classify: async (file): Promise<MediaType> => (file.size > maxFileSize ? 'document' : (await infoOf(file)).media),
    deliver: (album, signal, context) =>
      deliverAlbum(album, signal, context).then((receipt) => {
        crashPoint('after-sink');
        return receipt;
      }, (error: unknown) => {
        // Telegram out of reach for longer than the run may wait is no album's fault: it ends the run.
        if (signal.aborted || error instanceof SinkError || error instanceof UnreachableError) throw error;
        const name = rpcErrorName(error);
        throw new SinkError(`${chat}: ${describeTelegramError(error)}`, {
          // Telegram's own error name when it gave one; else the connection failed.
          reason: name ?? ('network' satisfies SinkReason),
          retryable: isTransient(error),
          cause: error,
        });
      }),
    close: async () => {
      await disconnect?.();
    },
  };
}

/** An inclusive range without one index in it: none, one or two ranges. */
function withoutPart(first: number, last: number, part: number): [number, number][] {
  if (part < first || part > last) return [[first, last]];
  return [
    ...(part > first ? [[first, part - 1] as [number, number]] : []),
    ...(part < last ? [[part + 1, last] as [number, number]] : []),
  ];
}

