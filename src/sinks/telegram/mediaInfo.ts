import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Movie } from 'mp4box';
import type { MediaType } from '../../entry.js';
import type { TempFile } from '../../step.js';

/** Telegram's limits for a file sent as a photo; anything else goes as a document. */
export const photoLimits = { bytes: 10 * 1024 * 1024, widthPlusHeight: 10_000, aspectRatio: 20 } as const;

/** What Telegram is told about a file besides its bytes. */
export interface MediaInfo {
  /** How it is sent: as a photo, a video, an audio file or a document. */
  readonly media: MediaType;
  readonly mimeType: string;
  /** Pixels, for photos and videos, where they could be read. */
  readonly width?: number;
  readonly height?: number;
  /** Seconds, for videos and audio. */
  readonly duration?: number;
  /** A video whose index (`moov`) comes before its data, so it can play while it downloads. */
  readonly supportsStreaming?: boolean;
  /** Tags of an audio file. */
  readonly title?: string;
  readonly performer?: string;
}

const mimeTypes: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.mkv': 'video/x-matroska',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.wav': 'audio/wav',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.zip': 'application/zip',
};

/** The MIME type Telegram is given for a file, from its name. */
export function mimeTypeOf(name: string): string {
  return mimeTypes[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/** Whether an image of these pixels and bytes may be sent as a photo. */
export function fitsAsPhoto(width: number, height: number, bytes: number): boolean {
  const ratio = Math.max(width, height) / Math.max(1, Math.min(width, height));
  return bytes <= photoLimits.bytes && width > 0 && height > 0 && width + height <= photoLimits.widthPlusHeight && ratio <= photoLimits.aspectRatio;
}

async function photoInfo(file: TempFile, mimeType: string): Promise<MediaInfo> {
  if (file.size > photoLimits.bytes) return { media: 'document', mimeType };
  // The metadata readers are loaded on first use: an archive of documents never needs them.
  const { imageSizeFromFile } = await import('image-size/fromFile');
  const { width, height } = await imageSizeFromFile(file.path);
  return fitsAsPhoto(width, height, file.size) ? { media: 'photo', mimeType, width, height } : { media: 'document', mimeType, width, height };
}

/**
 * Reads an ISO media file's (mp4, mov, m4v) duration, size and layout with mp4box.js, reading only
 * the boxes it asks for: the media data (`mdat`) is skipped, never read into memory.
 */
async function isoVideoInfo(file: TempFile): Promise<{ duration: number; width: number; height: number; supportsStreaming: boolean } | undefined> {
  const { createFile, Log, MP4BoxBuffer } = await import('mp4box');
  // mp4box.js prints a malformed box to the console (stderr) even at its quietest level, and offers
  // no setting to stop it; the file's failure reaches `onError` all the same, and the CLI's stderr
  // is for one line per failed entry.
  Log.error = (module, message, isoFile) => isoFile?.onError?.(module, message ?? '');
  Log.warn = () => {};
  const iso = createFile(false);
  let movie: Movie | undefined;
  let failed = false;
  iso.onReady = (info) => (movie = info);
  iso.onError = () => (failed = true);
  const handle = await open(file.path, 'r');
  try {
    let position = 0;
    while (!movie && !failed && position < file.size) {
      const length = Math.min(1024 * 1024, file.size - position);
      const chunk = new ArrayBuffer(length);
      const { bytesRead } = await handle.read(new Uint8Array(chunk), 0, length, position);
      if (bytesRead === 0) break;
      const next = iso.appendBuffer(MP4BoxBuffer.fromArrayBuffer(chunk.slice(0, bytesRead), position));
      position = typeof next === 'number' && next > position ? next : position + bytesRead;
    }
  } finally {
    await handle.close();
  }
  if (!movie) return undefined;
  const track = movie.videoTracks[0];
  if (!track) return undefined;
  const duration = movie.timescale ? movie.duration / movie.timescale : 0;
  return { duration, width: track.video?.width ?? track.track_width, height: track.video?.height ?? track.track_height, supportsStreaming: movie.isProgressive };
}

async function videoInfo(file: TempFile, mimeType: string): Promise<MediaInfo> {
  const extension = extname(file.entry.name).toLowerCase();
  if (extension === '.mkv' || extension === '.webm') {
    const { parseFile } = await import('music-metadata');
    const { format } = await parseFile(file.path, { duration: true, skipCovers: true });
    const video = format.trackInfo.find((track) => track.video)?.video;
    return { media: 'video', mimeType, duration: format.duration ?? 0, width: video?.pixelWidth ?? 0, height: video?.pixelHeight ?? 0, supportsStreaming: false };
  }
  const iso = await isoVideoInfo(file);
  // Without a readable video track Telegram could not play it inline: it goes as a document.
  return iso ? { media: 'video', mimeType, ...iso } : { media: 'document', mimeType };
}

async function audioInfo(file: TempFile, mimeType: string): Promise<MediaInfo> {
  const { parseFile } = await import('music-metadata');
  const { format, common } = await parseFile(file.path, { duration: true, skipCovers: true });
  return {
    media: 'audio',
    mimeType,
    duration: format.duration ?? 0,
    ...(common.title ? { title: common.title } : {}),
    ...(common.artist ? { performer: common.artist } : {}),
  };
}

/**
 * Decides how a file goes to Telegram and reads what Telegram is told about it: a photo only within
 * Telegram's limits ({@link photoLimits}), with its pixels (image-size); a video with its duration,
 * pixels and whether it streams (mp4box.js for mp4/mov/m4v, music-metadata for mkv/webm); audio
 * with its duration, title and performer (music-metadata). Headers only: never a whole file in
 * memory. A file whose metadata cannot be read goes as a document.
 */
export async function readMediaInfo(file: TempFile): Promise<MediaInfo> {
  const mimeType = mimeTypeOf(file.entry.name);
  try {
    switch (file.media) {
      case 'photo':
        return await photoInfo(file, mimeType);
      case 'video':
        return await videoInfo(file, mimeType);
      case 'audio':
        return await audioInfo(file, mimeType);
      default:
        return { media: 'document', mimeType };
    }
  } catch {
    return { media: 'document', mimeType };
  }
}
