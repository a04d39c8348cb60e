import { readdirSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api } from 'telegram';
import type { ManifestData } from '../../src/manifest.js';
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

/** The one manifest in a state folder, as it is on disk now. */
export function manifestOnDisk(state: string): ManifestData {
  const folder = join(state, 'manifests');
  const file = readdirSync(folder).find((name) => name.endsWith('.json'));
  if (!file) throw new Error(`no manifest in ${folder}`);
  return JSON.parse(readFileSync(join(folder, file), 'utf8')) as ManifestData;
}

/** Waits until a stopped run has let go of its lock, so the next run may start. */
export async function lockReleased(state: string): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if ((await readdir(join(state, 'locks')).catch(() => [])).length === 0) return;
    await sleep(10);
  }
  throw new Error('the stopped run never released its lock');
}
