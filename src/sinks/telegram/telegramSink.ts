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
import { randomIdOf } from '../../telegram/randomId.js';
import { type FloodWaitListener, realWait, type TelegramCall, telegramCall, type Wait } from '../../telegram/telegramCall.js';
import { describeTelegramError, isPhotoRefused, isTransient, rpcErrorName } from '../../telegram/telegramErrors.js';
import { type AlbumItem, type Piece, uploadedMedia, wholeFile } from './albumItem.js';
import { albumUploads } from './albumUploads.js';
import { partSlots } from './partSlots.js';
import { sendOnce, type SendOnceConfig } from './sendOnce.js';

/** Largest file a bot, or an account without Premium, may upload: 2000 MiB. */
export const uploadLimit = 2000 * 1024 * 1024;

/** Largest file a Premium account may upload: 4000 MiB. */
export const premiumUploadLimit = 4000 * 1024 * 1024;

/**
 * Parts a Telegram sink has in flight at once by default, over all its uploads: 8 (4 MiB of
 * buffers). Measured on the link model (`npm run bench -- --only link`): fewer parts leave a fast
 * link idle between answers (4 parts: photos 1.30×, videos 1.11× the floor over 40 ms and
 * 40 MB/s, against 1.19× and 1.01× with 8), and more make an album's `messages.uploadMedia` and
 * send wait behind the parts queued before them on the one connection (16 parts: photos 1.09×
 * over 100 ms and 8 MB/s, against 1.00× with 8).
 */
export const defaultPartsInFlight = 8;

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
  /**
   * Parts uploaded at once, over every file of the album being delivered and of the one being
   * prepared, 512 KiB of memory each. Default: {@link defaultPartsInFlight}.
   */
  readonly partsInFlight?: number | undefined;
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

/**
 * The sink users run: each album into a Telegram chat, through gramjs, exactly once.
 *
 * Per album: every file is uploaded in parts from its temp file ({@link uploadFile}), all files at
 * once within one budget of parts in flight for the whole sink (`partsInFlight`), resuming from
 * the parts the manifest says Telegram already has; then a single file goes with
 * `messages.sendMedia`, and several each with `messages.uploadMedia` as soon as its parts are in
 * and together with one `messages.sendMultiMedia` once all are stored. {@link Sink.prepare} does
 * the uploads and `messages.uploadMedia` of the album next in line ahead of its delivery, which
 * takes what it finished and redoes what it did not. A photo Telegram will not take as a photo is then sent alone as a
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
  const { client, peer, chat, partsInFlight = defaultPartsInFlight, wait = realWait, onFloodWait, disconnect, maxFileSize = uploadLimit, split = false } = options;
  const template = options.caption ?? '{path}';
  const call: TelegramCall = telegramCall(client, wait, onFloodWait);
  const fallbackJournal = memoryJournal();
  const uploading = albumUploads({ call, peer, wait, slots: partSlots(partsInFlight) });
  /** What {@link Sink.classify} read of each file, by temp path, until its album is sent. */
  const infos = new Map<string, MediaInfo>();

  const infoOf = async (file: TempFile): Promise<MediaInfo> => {
    const known = infos.get(file.path);
    if (known) return known;
    const info = await readMediaInfo(file);
    infos.set(file.path, info);
    return info;
  };

  /** The album's files as items: what each is sent as, under which `random_id` and caption. */
  const itemsOf = async (album: Album, context: DeliveryContext | undefined): Promise<AlbumItem[]> => {
    const items: AlbumItem[] = [];
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
    return items;
  };

  /** Sends a message with one media under a `random_id`, once (see {@link sendOnce}). */
  const sendMedia = (media: Api.TypeInputMedia, message: string, randomId: string, send: SendOnceConfig) =>
    sendOnce(send, new Api.messages.SendMedia({ peer, media, message, randomId: helpers.returnBigInt(randomId) }));

  /** Uploads one item and sends it alone with `messages.sendMedia`, falling back from photo to document. */
  const sendAlone = (albumId: string, item: AlbumItem, uploads: UploadJournal, send: SendOnceConfig): Promise<unknown> =>
    uploading.upload(albumId, item, wholeFile(item), uploads, send.signal, async (file) => {
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
  const sendInPieces = async (item: AlbumItem, albumId: string, uploads: UploadJournal, sent: ReadonlyMap<string, unknown>, send: SendOnceConfig): Promise<void> => {
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
      await uploading.upload(albumId, item, piece, uploads, send.signal, (file) =>
        sendMedia(new Api.InputMediaUploadedDocument({ file, mimeType: 'application/octet-stream', attributes, forceFile: true }), message, randomId, send),
      );
    }
  };

  /** Sends the files that fit, as an album, alone, or (a photo Telegram refused) as documents after it. */
  const sendWhole = async (albumId: string, pending: readonly AlbumItem[], uploads: UploadJournal, send: SendOnceConfig): Promise<void> => {
    if (pending.length === 1) {
      await sendAlone(albumId, pending[0]!, uploads, send);
      return;
    }
    const stored = await uploading.storeAll(albumId, pending, uploads, send.signal);
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
    const items = await itemsOf(album, context);
    // Files over the limit (only with split on) go in pieces, after the rest of the album.
    const pending = items.filter((item) => item.file.size <= maxFileSize && !sent.has(item.randomId));
    if (pending.length > 0) await sendWhole(album.id, pending, uploads, send);
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
    prepare: async (album, signal, context) => {
      const uploads = context?.uploads ?? fallbackJournal;
      const sent = uploads.sent(album.id);
      const items = await itemsOf(album, context);
      const pending = items.filter((item) => item.file.size <= maxFileSize && !(item.randomId in sent));
      await uploading.prepare(album.id, pending, pending.length > 1, uploads, signal);
    },
    deliver: (album, signal, context) =>
      deliverAlbum(album, signal, context).then((receipt) => {
        uploading.forget(album.id, true);
        crashPoint('after-sink');
        return receipt;
      }, (error: unknown) => {
        uploading.forget(album.id, false);
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
