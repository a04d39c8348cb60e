import { Api } from 'telegram';
import type { SendOptions } from '../../src/pipeline.js';
import { openTelegramArchive } from '../../src/sources/telegram/openTelegramArchive.js';
import type { TelegramRecorder } from '../support/telegramRecorder.js';
import { virtualWait } from '../telegram/support.js';

/** Every `upload.getFile` the recorder saw, as ranges. */
export function getFileRanges(recorder: TelegramRecorder): { offset: number; limit: number }[] {
  return recorder.of<Api.upload.GetFile>('upload.GetFile').map((request) => ({ offset: Number(request.offset.toString()), limit: request.limit }));
}

/**
 * An opener for `send` that reads `tg:` names over the recorder's client instead of logging in,
 * with waits recorded (virtual time), and a count of the times the connection was closed.
 */
export function recordedOpener(recorder: TelegramRecorder, state: string) {
  const { waits, wait } = virtualWait();
  const closed = { count: 0 };
  const connection = {
    client: recorder.client,
    isBot: false,
    premium: false,
    close: async () => {
      closed.count++;
    },
  };
  const open: NonNullable<SendOptions['open']> = (path) => openTelegramArchive(path, path, { state, connect: async () => connection, wait });
  return { open, waits, closed };
}
