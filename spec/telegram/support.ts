import { Api } from 'telegram';
import { telegramSink, type TelegramSinkOptions } from '../../src/sinks/telegram/telegramSink.js';
import type { TelegramRecorder } from '../support/telegramRecorder.js';

/** Waits recorded instead of slept: virtual time for flood waits and retries. */
export function virtualWait() {
  const waits: number[] = [];
  const wait = async (milliseconds: number) => {
    waits.push(milliseconds);
  };
  return { waits, wait };
}

/** A Telegram sink into Saved Messages over the recorder's client. */
export function recordedSink(recorder: TelegramRecorder, options: Partial<TelegramSinkOptions> = {}) {
  const { waits, wait } = virtualWait();
  const sink = telegramSink({ client: recorder.client, peer: new Api.InputPeerSelf(), chat: 'me', wait, ...options });
  return { sink, waits };
}
