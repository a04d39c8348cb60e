/**
 * The Telegram sink for use from code: `import { telegramSink } from 'unspool/telegram'`. A subpath
 * of its own so that `import 'unspool'` does not load gramjs (some 40 MB and 300 ms) for programs
 * that deliver into folders.
 */
export { telegramSink, uploadLimit, premiumUploadLimit, type TelegramSinkOptions } from './sinks/telegram/telegramSink.js';
export { connectTelegram, newTelegramClient, type TelegramConnection } from './telegram/connectTelegram.js';
export { resolveChat, type ResolvedChat } from './telegram/resolveChat.js';
export { telegramSettings, telegramApp, configFileName, type TelegramSettings, type TelegramLogin } from './telegram/telegramSettings.js';
export { openTelegramSink, type OpenTelegramSinkOptions } from './sinks/telegram/openTelegramSink.js';
export { uploadFile, partSize, bigFileThreshold, type UploadFileOptions } from './sinks/telegram/uploadFile.js';
export { readMediaInfo, fitsAsPhoto, photoLimits, type MediaInfo } from './sinks/telegram/mediaInfo.js';
export { caption, captionLimit, captionPlaceholders, type CaptionFields } from './sinks/telegram/caption.js';
export { randomIdOf } from './telegram/randomId.js';
export { telegramCall, type TelegramCall, type Wait, type FloodWaitListener } from './telegram/telegramCall.js';
export { watchTelegramNetwork, networkOf, type TelegramNetwork, type TelegramNetworkConfig, type NetworkState } from './telegram/telegramNetwork.js';

// The bot: `unspool bot` is this, started with the settings of the command line.
export { startBot, type Bot, type BotOptions } from './bot/bot.js';
export type { BotLog } from './bot/botLog.js';
export { botAccess, type BotAccess } from './bot/botAccess.js';
export { JobQueue } from './bot/jobQueue.js';
export type { Job, JobState, ChatRef } from './bot/job.js';
export type { JobSettings } from './bot/jobRun.js';
