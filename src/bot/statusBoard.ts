import { describeError } from '../errors.js';
import type { BotChat } from './botChat.js';
import { chatIdOf } from './chatRef.js';
import type { ChatRef, Job } from './job.js';

/** A live `/status` message: edited while its job runs. */
interface StatusMessage {
  readonly chat: ChatRef;
  readonly messageId: number;
  readonly job: number;
  text: string;
}

/** The live `/status` messages of the bot. */
export interface StatusBoard {
  /** Keeps a message up to date from now on; it replaces an older one of the same job in the same chat. */
  watch(chat: ChatRef, messageId: number, job: number, text: string): void;
  /** Stops editing. */
  stop(): void;
}

/** Options of {@link statusBoard}. */
export interface StatusBoardOptions {
  readonly chat: BotChat;
  /** A job by its number. */
  readonly job: (id: number) => Job | undefined;
  /** The status text of a job now. */
  readonly text: (job: Job) => string;
  /** Milliseconds between edits; Telegram allows about one edit per second per chat. */
  readonly every: number;
  readonly onError: (error: string) => void;
}

/**
 * Edits each watched `/status` message every `every` milliseconds, when its text has changed
 * (Telegram refuses an edit that changes nothing), one round at a time. A message whose job is no
 * longer running gets its last edit, then is let go.
 */
export function statusBoard(options: StatusBoardOptions): StatusBoard {
  const watched: StatusMessage[] = [];
  let refreshing = false;

  const refresh = async () => {
    for (const status of [...watched]) {
      const job = options.job(status.job);
      if (!job) continue;
      const text = options.text(job);
      if (text !== status.text) {
        status.text = text;
        await options.chat.edit(status.chat, status.messageId, text).catch((error: unknown) => options.onError(describeError(error)));
      }
      if (job.state !== 'running') watched.splice(watched.indexOf(status), 1);
    }
  };

  const timer = setInterval(() => {
    if (refreshing || watched.length === 0) return;
    refreshing = true;
    void refresh().finally(() => {
      refreshing = false;
    });
  }, options.every);
  timer.unref();

  return {
    watch(chat, messageId, job, text) {
      const older = watched.findIndex((status) => status.job === job && chatIdOf(status.chat) === chatIdOf(chat));
      if (older >= 0) watched.splice(older, 1);
      watched.push({ chat, messageId, job, text });
    },
    stop() {
      clearInterval(timer);
    },
  };
}
