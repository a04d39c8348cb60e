import { Api, helpers, type TelegramClient } from 'telegram';
import { SinkError } from '../../errors.js';
import type { MediaType } from '../../entry.js';
import type { Album, Receipt, TempFile } from '../../step.js';
import { safeFileName } from '../safeFileName.js';
import type { DeliveryContext, Sink, UploadJournal, UploadRecord } from '../sink.js';
import { caption, captionLimit } from './caption.js';
import { type MediaInfo, readMediaInfo } from './mediaInfo.js';
import { mediaReference } from './mediaReference.js';
import { randomIdOf } from './randomId.js';
import { type FloodWaitListener, realWait, type TelegramCall, telegramCall, type Wait } from './telegramCall.js';
import { describeTelegramError, isPhotoRefused, isTransient, isUploadLost, missingPart, rpcErrorName } from './telegramErrors.js';
import { uploadFile } from './uploadFile.js';

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
  readonly caption?: string;
  /** Parts of one file uploaded at once, 512 KiB of memory each. Default: 4. */
  readonly workers?: number;
  /** How to wait out flood limits and timeouts. Default: a real timer. */
  readonly wait?: Wait;
  /** Told when Telegram asks to wait, before the wait. */
  readonly onFloodWait?: FloodWaitListener;
  /** Largest file Telegram takes from this account. Default: {@link uploadLimit}. */
  readonly maxFileSize?: number;
  /**
   * Send files over `maxFileSize` as numbered pieces instead of leaving them to be skipped as
   * `too-large`. Default: false.
   */
  readonly split?: boolean;
  /** Called by {@link Sink.close}: disconnects the client, for a sink that owns it. */
  readonly disconnect?: () => Promise<void>;
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

/** Upload progress kept in memory, for a sink used without the pipeline's manifest. */
function memoryJournal(): UploadJournal {
  const records = new Map<string, UploadRecord>();
  return {
    get: (entry) => records.get(entry),
    put: (entry, record) => (record ? records.set(entry, record) : records.delete(entry)),
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
    attributes.push(new Api.DocumentAttributeAudio({ duration: Math.round(info.duration ?? 0), title: info.title, performer: info.performer }));
  }
  // An image sent as a document stays a file, instead of being turned into a photo by Telegram.
  return new Api.InputMediaUploadedDocument({ file, mimeType: info.mimeType, attributes, forceFile: info.media === 'photo' || info.media === 'document' });
}

/** The media Telegram stored, as a reference `messages.sendMultiMedia` accepts. */
function storedMedia(answer: Api.TypeMessageMedia): Api.TypeInputMedia {
  if (answer instanceof Api.MessageMediaPhoto && answer.photo instanceof Api.Photo) return mediaReference(answer.photo);
  if (answer instanceof Api.MessageMediaDocument && answer.document instanceof Api.Document) return mediaReference(answer.document);
  throw new SinkError(`Telegram stored the file as ${answer.className}, which cannot go in an album`, { reason: 'MEDIA_INVALID', retryable: false });
}

/** The message ids Telegram gave, by `random_id`, from the updates a send answers with. */
function messageIds(answer: Api.TypeUpdates): Map<string, number> {
  const ids = new Map<string, number>();
  const updates = answer instanceof Api.Updates || answer instanceof Api.UpdatesCombined ? answer.updates : [];
  for (const update of updates) if (update instanceof Api.UpdateMessageID && update.randomId !== undefined) ids.set(update.randomId.toString(), update.id);
  return ids;
}

/**
 * The sink users run: each album into a Telegram chat, through gramjs, exactly once.
 *
 * Per album: every file is uploaded in parts from its temp file ({@link uploadFile}), resuming
 * from the parts the manifest says Telegram already has; then a single file goes with
 * `messages.sendMedia` and several with `messages.uploadMedia` each and one
 * `messages.sendMultiMedia`. Every item carries a `random_id` derived from the album id that the
 * manifest recorded before the first send ({@link randomIdOf}), so sending an album again after a
 * crash gives back the messages Telegram already has instead of new ones. A photo Telegram will
 * not take as a photo is sent alone as a document. Flood waits are waited out where they happen;
 * timeouts and dropped connections fail the attempt (the pipeline retries it, without uploading
 * confirmed parts again); any other refusal fails the album with Telegram's error name as reason.
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

  /** Sends a message with one media, under a `random_id`. */
  const sendMedia = (media: Api.TypeInputMedia, message: string, randomId: string, signal: AbortSignal) =>
    call(new Api.messages.SendMedia({ peer, media, message, randomId: helpers.returnBigInt(randomId) }), signal);

  /** Uploads one item and sends it alone with `messages.sendMedia`, falling back from photo to document. */
  const sendAlone = (item: Item, uploads: UploadJournal, signal: AbortSignal): Promise<Api.TypeUpdates> =>
    withUpload(item, wholeFile(item), uploads, signal, async (file) => {
      try {
        return await sendMedia(uploadedMedia(item, file), item.caption, item.randomId, signal);
      } catch (error) {
        if (item.asDocument || item.info.media !== 'photo' || !isPhotoRefused(error)) throw error;
        item.asDocument = true;
        return sendMedia(uploadedMedia(item, file), item.caption, item.randomId, signal);
      }
    });

  /**
   * Sends a file over the upload limit as numbered documents (`name.001`, `name.002`…) of at most
   * the limit each, which `cat` joins back; each piece is its own message with its own `random_id`.
   */
  const sendInPieces = async (item: Item, albumId: string, uploads: UploadJournal, signal: AbortSignal): Promise<Api.TypeUpdates[]> => {
    const count = Math.ceil(item.file.size / maxFileSize);
    const answers: Api.TypeUpdates[] = [];
    for (let index = 0; index < count; index++) {
      const number = String(index + 1).padStart(3, '0');
      const offset = index * maxFileSize;
      const piece: Piece = {
        key: `${item.file.entry.index}/${index}`,
        offset,
        size: Math.min(maxFileSize, item.file.size - offset),
        fileName: `${safeFileName(item.file.entry.name, `file-${item.file.entry.index}`)}.${number}`,
      };
      const randomId = randomIdOf(albumId, item.file.entry.index, index);
      const suffix = ` (${index + 1}/${count})`;
      const message = `${item.caption.slice(0, captionLimit - suffix.length)}${suffix}`;
      const attributes = [new Api.DocumentAttributeFilename({ fileName: piece.fileName })];
      answers.push(
        await withUpload(item, piece, uploads, signal, (file) =>
          sendMedia(new Api.InputMediaUploadedDocument({ file, mimeType: 'application/octet-stream', attributes, forceFile: true }), message, randomId, signal),
        ),
      );
      item.randomIds.push(randomId);
    }
    return answers;
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

  const deliverAlbum = async (album: Album, signal: AbortSignal, context: DeliveryContext | undefined): Promise<Receipt> => {
    const uploads = context?.uploads ?? fallbackJournal;
    const items: Item[] = [];
    for (const file of album.files) {
      const randomId = randomIdOf(album.id, file.entry.index);
      items.push({
        file,
        info: await infoOf(file),
        randomId,
        randomIds: [],
        caption: caption(template, { path: file.entry.name, archive: context?.archive ?? file.entry.archive, index: file.entry.index + 1, total: context?.total }),
        asDocument: false,
      });
    }
    const answers: Api.TypeUpdates[] = [];
    // Files over the limit (only with split on) go in pieces, after the rest of the album.
    const oversize = items.filter((item) => item.file.size > maxFileSize);
    const rest = items.filter((item) => item.file.size <= maxFileSize);
    if (rest.length === 1) {
      answers.push(await sendAlone(rest[0]!, uploads, signal));
    } else if (rest.length > 1) {
      const stored: Api.TypeInputMedia[] = [];
      for (const item of rest) stored.push(await store(item, uploads, signal));
      const together = rest.flatMap((item, i) => (item.asDocument ? [] : [{ item, media: stored[i]! }]));
      if (together.length === 1) answers.push(await sendMedia(together[0]!.media, together[0]!.item.caption, together[0]!.item.randomId, signal));
      if (together.length > 1) {
        const multiMedia = together.map(
          ({ item, media }) => new Api.InputSingleMedia({ media, randomId: helpers.returnBigInt(item.randomId), message: item.caption }),
        );
        answers.push(await call(new Api.messages.SendMultiMedia({ peer, multiMedia }), signal));
      }
      // A photo Telegram would not take as one is a document now, which may not join the album.
      for (const [i, item] of rest.entries()) if (item.asDocument) answers.push(await sendMedia(stored[i]!, item.caption, item.randomId, signal));
    }
    for (const item of oversize) answers.push(...(await sendInPieces(item, album.id, uploads, signal)));
    const ids = new Map(answers.flatMap((answer) => [...messageIds(answer)]));
    for (const file of album.files) infos.delete(file.path);
    const idOf = (randomId: string) => String(ids.get(randomId) ?? 'sent-before');
    return { items: items.map((item) => (item.randomIds.length ? item.randomIds.map(idOf).join('+') : idOf(item.randomId))) };
  };

  return {
    name: `telegram:${chat}`,
    // With split on, any size is taken (in pieces); otherwise the pipeline skips what is too large.
    ...(split ? {} : { maxFileSize }),
    classify: async (file): Promise<MediaType> => (file.size > maxFileSize ? 'document' : (await infoOf(file)).media),
    deliver: (album, signal, context) =>
      deliverAlbum(album, signal, context).catch((error: unknown) => {
        if (signal.aborted || error instanceof SinkError) throw error;
        const name = rpcErrorName(error);
        // Telegram's answer to a random_id it has seen: the album went out before a crash.
        if (name === 'RANDOM_ID_DUPLICATE') return { items: album.files.map(() => 'sent-before') };
        throw new SinkError(`${chat}: ${describeTelegramError(error)}`, {
          reason: name ?? 'network',
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

