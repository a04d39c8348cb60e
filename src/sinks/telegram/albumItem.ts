import { Api } from 'telegram';
import { SinkError } from '../../errors.js';
import type { TempFile } from '../../step.js';
import { mediaReference } from '../../telegram/mediaReference.js';
import { safeFileName } from '../safeFileName.js';
import type { MediaInfo } from './mediaInfo.js';

/** One file of an album on its way to Telegram: what it is sent as, and under which `random_id`. */
export interface AlbumItem {
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
export interface Piece {
  /** Its key in the {@link UploadJournal}. */
  readonly key: string;
  readonly offset: number;
  readonly size: number;
  /** The name Telegram shows. */
  readonly fileName: string;
}

/** The piece that is the whole file. */
export function wholeFile(item: AlbumItem): Piece {
  const { entry } = item.file;
  return { key: String(entry.index), offset: 0, size: item.file.size, fileName: safeFileName(entry.name, `file-${entry.index}`) };
}

/** The media of an uploaded file, as a photo or as a document with its attributes. */
export function uploadedMedia(item: AlbumItem, file: Api.TypeInputFile): Api.TypeInputMedia {
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
export function storedMedia(answer: Api.TypeMessageMedia): Api.TypeInputMedia {
  if (answer instanceof Api.MessageMediaPhoto && answer.photo instanceof Api.Photo) return mediaReference(answer.photo);
  if (answer instanceof Api.MessageMediaDocument && answer.document instanceof Api.Document) return mediaReference(answer.document);
  // Named as Telegram names media it cannot use, since it is Telegram's answer that is unusable.
  throw new SinkError(`Telegram stored the file as ${answer.className}, which cannot go in an album`, { reason: 'MEDIA_INVALID', retryable: false });
}
