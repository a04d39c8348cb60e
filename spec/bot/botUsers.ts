/**
 * The bot specs' people and settings, apart from their harness (`support.ts`) because child
 * processes (`botProcess.ts`, the bot benchmark) need them too, and the harness imports vitest,
 * which cannot be loaded outside its runner.
 */
import { Api, helpers } from 'telegram';
import type { JobSettings } from '../../src/bot/jobRun.js';

const long = (value: string | number) => helpers.returnBigInt(value);

/** The bot's owner, as Telegram describes them in the updates it sends. */
export const owner = new Api.User({ id: long(4242), accessHash: long(99), firstName: 'Owner', username: 'owner' });
/** Someone who found the bot and is not allowed to use it. */
export const stranger = new Api.User({ id: long(6666), accessHash: long(13), firstName: 'Stranger' });

/** Settings that keep tests quick: no real free-space threshold, no real retry waits. */
export const testSettings: JobSettings = { albumSize: 10, minFree: 1_000_000, recheckEvery: 30_000, attempts: 3, backoff: 1, split: false };
