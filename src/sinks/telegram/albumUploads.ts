import { setMaxListeners } from 'node:events';
import { Api } from 'telegram';
import type { UploadJournal } from '../sink.js';
import { type TelegramCall, untilAborted, type Wait } from '../../telegram/telegramCall.js';
import { isPhotoRefused, isUploadLost, missingPart } from '../../telegram/telegramErrors.js';
import { type AlbumItem, type Piece, storedMedia, uploadedMedia, wholeFile } from './albumItem.js';
import type { PartSlots } from './partSlots.js';
import { uploadFile } from './uploadFile.js';

/** Options of {@link albumUploads}. */
export interface AlbumUploadsConfig {
  /** Sends a request to Telegram. */
  readonly call: TelegramCall;
  /** The chat the media are stored for. */
  readonly peer: Api.TypeInputPeer;
  /** How to wait between tries of a part. */
  readonly wait: Wait;
  /** The sink's budget of parts in flight, which every upload draws from. */
  readonly slots: PartSlots;
}

/** A file Telegram stored with `messages.uploadMedia`, and whether it went as a document. */
export interface StoredItem {
  readonly media: Api.TypeInputMedia;
  readonly asDocument: boolean;
}

/** The uploads of a Telegram sink; see {@link albumUploads}. */
export interface AlbumUploads {
  /**
   * Uploads a file, or one piece of it, (or finds it uploaded) and runs `use` with it, once what
   * {@link prepare} started on the same file is over. If Telegram has lost a part, or the whole
   * upload, the missing parts are sent again and `use` runs again; at most three times.
   */
  upload<T>(album: string, item: AlbumItem, piece: Piece, uploads: UploadJournal, signal: AbortSignal, use: (file: Api.TypeInputFile) => Promise<T>): Promise<T>;
  /**
   * Uploads every item of an album at once and has Telegram store each (`messages.uploadMedia`)
   * as soon as its parts are in, taking what {@link prepare} stored instead; resolves with the
   * media in the items' order once all are stored, or rejects with the first failure once every
   * item is done.
   */
  storeAll(album: string, items: readonly AlbumItem[], uploads: UploadJournal, signal: AbortSignal): Promise<Api.TypeInputMedia[]>;
  /**
   * Starts on an album before it is delivered: uploads its items, and when they go `together` (as
   * an album) has Telegram store each; kept for {@link upload} and {@link storeAll} of the same
   * album. Nothing is posted.
   */
  prepare(album: string, items: readonly AlbumItem[], together: boolean, uploads: UploadJournal, signal: AbortSignal): Promise<void>;
  /** Lets go of what was kept for an album; its place in line too once it is `delivered`. */
  forget(album: string, delivered: boolean): void;
}

/**
 * The uploads of a Telegram sink: every file of an album at once, within the sink's one budget of
 * parts in flight ({@link PartSlots}), each file stored by Telegram as soon as its own parts are
 * in, and the work {@link AlbumUploads.prepare} did on the album next in line kept for its
 * delivery. The parts of an album that came first (in a prepare or a delivery) get slots before
 * those of the albums after it, and within an album a file's before the next file's, so the first
 * files are stored while the last ones still upload.
 *
 * Each confirmed part is recorded in the journal as it comes, so whatever fails or is aborted, the
 * next upload of the file sends only the parts Telegram does not have.
 *
 * @param config The call, the chat, the wait and the budget.
 * @return The uploads.
 */
export function albumUploads(config: AlbumUploadsConfig): AlbumUploads {
  const { call, peer, wait, slots } = config;
  /** Each album's place in line for part slots, in the order they were first seen. */
  const places = new Map<string, number>();
  let seen = 0;
  /** What prepare started, by album id and temp path: the stored media, or nothing for a lone file. */
  const early = new Map<string, Promise<StoredItem | undefined>>();

  const placeOf = (album: string): number => {
    let place = places.get(album);
    if (place === undefined) places.set(album, (place = seen++));
    return place;
  };
  const keyOf = (album: string, item: AlbumItem) => `${album}\n${item.file.path}`;
  /** A signal that follows `signal`, for the many requests of files uploading at once to listen to without a leak warning. */
  const shared = (signal: AbortSignal): AbortSignal => {
    const follower = AbortSignal.any([signal]);
    setMaxListeners(0, follower);
    return follower;
  };

  /** What prepare made of a file, once it is over: nothing if it did not run, failed or was aborted. */
  const prepared = async (album: string, item: AlbumItem, signal: AbortSignal): Promise<StoredItem | undefined> => {
    const work = early.get(keyOf(album, item));
    return work ? untilAborted(work.catch(() => undefined), signal) : undefined;
  };

  const withUpload = async <T>(album: string, item: AlbumItem, piece: Piece, uploads: UploadJournal, signal: AbortSignal, use: (file: Api.TypeInputFile) => Promise<T>): Promise<T> => {
    for (let repairs = 0; ; repairs++) {
      const file = await uploadFile({
        call,
        path: item.file.path,
        offset: piece.offset,
        size: piece.size,
        name: piece.fileName,
        earlier: uploads.get(piece.key),
        onPart: (record) => uploads.put(piece.key, record),
        slots,
        priority: placeOf(album),
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

  /** Uploads one item and has Telegram store it, as a document if Telegram refuses it as a photo. */
  const store = (album: string, item: AlbumItem, uploads: UploadJournal, signal: AbortSignal): Promise<StoredItem> =>
    withUpload(album, item, wholeFile(item), uploads, signal, async (file) => {
      const stored = (media: Api.TypeInputMedia) => call(new Api.messages.UploadMedia({ peer, media }), signal).then(storedMedia);
      try {
        return { media: await stored(uploadedMedia(item, file)), asDocument: item.asDocument };
      } catch (error) {
        if (item.asDocument || item.info.media !== 'photo' || !isPhotoRefused(error)) throw error;
        item.asDocument = true;
        return { media: await stored(uploadedMedia(item, file)), asDocument: true };
      }
    });

  return {
    upload: async (album, item, piece, uploads, signal, use) => {
      if (piece.key === wholeFile(item).key) await prepared(album, item, signal);
      return withUpload(album, item, piece, uploads, signal, use);
    },
    storeAll: async (album, items, uploads, whole) => {
      const signal = shared(whole);
      const outcomes = await Promise.allSettled(
        items.map(async (item) => {
          const done = await prepared(album, item, signal);
          if (!done) return (await store(album, item, uploads, signal)).media;
          item.asDocument = done.asDocument;
          return done.media;
        }),
      );
      return outcomes.map((outcome) => {
        if (outcome.status === 'rejected') throw outcomes.find((each) => each.status === 'rejected')!.reason;
        return outcome.value;
      });
    },
    prepare: async (album, items, together, uploads, whole) => {
      const signal = shared(whole);
      const works = items.map((item) => {
        const key = keyOf(album, item);
        let work = early.get(key);
        if (!work) {
          work = together ? store(album, item, uploads, signal) : withUpload(album, item, wholeFile(item), uploads, signal, async () => undefined);
          early.set(key, work);
        }
        return work;
      });
      const outcomes = await Promise.allSettled(works);
      for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
    },
    forget: (album, delivered) => {
      for (const key of early.keys()) if (key.startsWith(`${album}\n`)) early.delete(key);
      if (delivered) places.delete(album);
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
