import { mkdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { BehaviorSubject, type SchedulerLike } from 'rxjs';
import { Raw } from 'telegram/events/index.js';
import { describeError } from '../errors.js';
import type { DiskSpaceProbe } from '../freeSpace.js';
import { Manifest } from '../state/manifest.js';
import { archiveStatePaths } from '../pipeline.js';
import type { TelegramConnection } from '../telegram/connectTelegram.js';
import { resolveChat } from '../telegram/resolveChat.js';
import type { Wait } from '../telegram/telegramCall.js';
import { isHttpUrl, redactUrl, urlWithoutQuery } from '../sources/http/redactUrl.js';
import { isTelegramDocumentName } from '../sources/telegram/telegramDocumentName.js';
import { isTorboxName } from '../sources/torbox/torboxName.js';
import { spaceLedger } from '../spaceLedger.js';
import { summarise } from '../summary.js';
import type { BotAccess } from './botAccess.js';
import { botChat, type BotChat } from './botChat.js';
import { type BotCommand, parseBotCommand } from './parseBotCommand.js';
import { deliveredBeforeText, helpText, jobTitle, queueLine, statusText } from './botTexts.js';
import { chatIdOf, inputPeerOf } from './chatRef.js';
import { type IncomingMessage, incomingMessage } from './incomingMessage.js';
import { isFinished, type Job } from './job.js';
import { JobQueue } from './jobQueue.js';
import type { JobRunContext, JobSettings } from './jobRun.js';
import { deliveredBefore } from './deliveredBefore.js';
import { jobScheduler } from './jobScheduler.js';
import { mediaRelay } from './mediaRelay.js';
import { statusBoard } from './statusBoard.js';
import { archiveKindOf } from './archiveKind.js';
import { type GatheredSet, volumeGathering } from './volumeGathering.js';
import { volumeNameOf } from '../sources/volumeNames.js';
import { loadWaitingVolumes, saveWaitingVolumes } from './waitingVolumes.js';
import { laterVolumeText, missingVolumesText } from './volumeTexts.js';
import type { Stall } from '../runActivity.js';
import type { BotLog } from './botLog.js';

/** Options of {@link startBot}. */
export interface BotOptions {
  /** The logged-in connection: updates come in and everything goes out over it. */
  readonly connection: TelegramConnection;
  readonly state: string;
  readonly access: BotAccess;
  readonly settings: JobSettings;
  /** Jobs run at once. Default: 1. */
  readonly jobs?: number | undefined;
  /** Milliseconds between edits of a live `/status` message. Default: 5 000. */
  readonly statusEvery?: number | undefined;
  /** Milliseconds to wait for more plain media before passing it on. Default: 3 000. */
  readonly mediaWindow?: number | undefined;
  /**
   * Milliseconds without a new volume of a set sent as separate files after which the set is taken
   * as sent whole (see `volumeGathering`). Default: `mediaWindow`.
   */
  readonly volumeWindow?: number | undefined;
  readonly log?: BotLog | undefined;
  readonly probe?: DiskSpaceProbe | undefined;
  readonly scheduler?: SchedulerLike | undefined;
  readonly wait?: Wait | undefined;
  /**
   * How a job's archive is opened, given its source and the owner's password: tests pass a reader
   * of their own. Default: `openArchive`.
   */
  readonly open?: JobRunContext['open'];
}

/** A running bot. */
export interface Bot {
  readonly queue: JobQueue;
  /**
   * Stops cleanly: no more updates are taken, running jobs stop where they are (their temp files
   * deleted, their manifests and queue entries kept as running, so that the next start resumes
   * them and says so), and waiting plain media goes out.
   */
  stop(): Promise<void>;
}

/** Whether an address carries something secret that must not be written to disk. */
function hasSecret(url: string): boolean {
  const parsed = new URL(url);
  return parsed.search !== '' || parsed.username !== '' || parsed.password !== '';
}

/**
 * Starts the bot: loads the queue from the state folder, tells the owners of jobs that were
 * running when it last stopped that they go on, and answers the allowed users' messages over the
 * connection. See the README's "Bot" section for what it understands.
 */
export async function startBot(options: BotOptions): Promise<Bot> {
  const { connection, access, settings } = options;
  const state = resolve(options.state);
  const log: BotLog = options.log ?? (() => {});
  const maxJobs = options.jobs ?? 1;
  const queue = await JobQueue.open(state);
  const scratch = join(state, 'bot', 'scratch');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const chat: BotChat = botChat({ client: connection.client, scratch, wait: options.wait });
  const paused = new BehaviorSubject(queue.paused);
  const ledger = spaceLedger();
  /** Passwords and signed links, by job: in memory only, gone with the process. */
  const passwords = new Map<number, string>();
  const links = new Map<number, string>();
  let stopping = false;
  /** Messages are handled one at a time, in the order they came, so that replies and job numbers follow it. */
  let handling: Promise<void> = Promise.resolve();

  const say = (to: Job['chat'], text: string) =>
    chat.say(to, text).catch((error: unknown) => {
      log('reply-failed', { chat: chatIdOf(to), error: describeError(error) });
      return 0;
    });

  const relay = mediaRelay({
    client: connection.client,
    window: options.mediaWindow,
    wait: options.wait,
    onFailure: (from, count, reason) => void say(from, `Could not pass on ${count} file${count === 1 ? '' : 's'}: ${reason}`),
    onSent: (from, count) => log('relayed', { chat: chatIdOf(from), files: count }),
  });

  const context = {
    connection,
    state,
    settings,
    paused,
    ledger,
    probe: options.probe,
    scheduler: options.scheduler,
    wait: options.wait,
    onFloodWait: (seconds: number, request: string) => log('flood-wait', { seconds, request }),
    onStall: (job: number, stall: Stall) => log('stalled', { job, where: stall.where, idleFor: stall.idleFor }),
    open: options.open,
  };

  const scheduler = jobScheduler({ queue, context, maxJobs, paused, chat, say, log, passwords, links, isStopping: () => stopping });
  const { runs, pump } = scheduler;

  const statuses = statusBoard({
    chat,
    job: (id) => queue.get(id),
    text: (job) => statusText(job, runs.get(job.id)?.live, Date.now(), connection.network?.state),
    every: options.statusEvery ?? 5_000,
    onError: (error) => log('status-edit-failed', { error }),
  });


  const enqueue = async (message: IncomingMessage, source: string, name: string, to: string | undefined, again: boolean, documentId?: string) => {
    const destination = to ?? access.defaultChat;
    if (destination) {
      try {
        await resolveChat(connection.client, destination, connection.isBot);
      } catch (error) {
        return say(message.chat, `Cannot post to ${destination}: ${describeError(error).replace(/^--to telegram:\S+: /, '')}`);
      }
    }
    const keyed = isHttpUrl(source) && hasSecret(source) ? urlWithoutQuery(source) : source;
    const known = queue.jobs.find((job) => !isFinished(job) && (job.source === keyed || (documentId !== undefined && job.documentId === documentId)));
    if (known) {
      if (known.secretLink && isHttpUrl(source) && !links.has(known.id)) {
        links.set(known.id, source);
        pump();
        return say(message.chat, `Thanks: ${jobTitle(known)} goes on.`);
      }
      return say(message.chat, `${jobTitle(known)} is already ${known.state === 'running' ? 'running' : 'in the queue'}.`);
    }
    if (!again) {
      const earlierJobs = queue.jobs.filter((job) => documentId !== undefined && job.documentId === documentId && job.manifest);
      const before = await deliveredBefore([archiveStatePaths(state, keyed).manifest, ...earlierJobs.map((job) => job.manifest!)]);
      if (before) return say(message.chat, deliveredBeforeText(name, summarise(before), before.completedAt!, isHttpUrl(source) ? redactUrl(source) : source));
    }
    const job = await queue.add({
      source: keyed,
      name,
      ...(keyed !== source ? { secretLink: true as const } : {}),
      ...(destination ? { to: destination } : {}),
      chat: message.chat,
      ...(documentId ? { documentId } : {}),
      ...(again ? { again: true } : {}),
    });
    if (keyed !== source) links.set(job.id, source);
    log('job-queued', { job: job.id, source: isHttpUrl(source) ? redactUrl(source) : source });
    const ahead = queue.waiting().indexOf(job) + runs.size;
    const when = paused.value ? 'paused: /resume to start' : ahead < maxJobs ? 'starting now' : `position ${ahead - maxJobs + 1} in line`;
    await say(message.chat, `Queued ${jobTitle(job)}, ${when}.`);
    pump();
  };

  const sendCommand = async (message: IncomingMessage, command: Extract<BotCommand, { kind: 'send' }>) => {
    const { source } = command;
    const local = !isHttpUrl(source) && !isTorboxName(source) && !isTelegramDocumentName(source);
    const full = local ? resolve(source) : source;
    const name = local ? basename(full) : isHttpUrl(source) ? redactUrl(source) : source;
    await enqueue(message, full, name, command.to, command.again);
  };

  const statusCommand = async (message: IncomingMessage, id: number | undefined) => {
    const job = id !== undefined ? queue.get(id) : ([...runs.keys()].map((key) => queue.get(key)).find(Boolean) ?? queue.jobs.at(-1));
    if (!job) return say(message.chat, id !== undefined ? `No job #${id}; /queue lists them.` : 'No jobs yet. /send <link> to start one.');
    const text = statusText(job, runs.get(job.id)?.live, Date.now(), connection.network?.state);
    const messageId = await say(message.chat, text);
    if (job.state === 'running' && messageId) statuses.watch(message.chat, messageId, job.id, text);
    return undefined;
  };

  const cancel = async (message: IncomingMessage, id: number) => {
    const job = queue.get(id);
    if (!job) return say(message.chat, `No job #${id}; /queue lists them.`);
    if (isFinished(job)) return say(message.chat, `${jobTitle(job)} is already ${job.state}.`);
    const run = runs.get(id);
    await queue.update(job, { state: 'cancelled', finishedAt: new Date().toISOString() });
    await run?.stop();
    log('job-cancelled', { job: id });
    await say(message.chat, `Cancelled ${jobTitle(job)}; its temp files are gone. /retry ${id} goes on from where it stopped.`);
    return undefined;
  };

  const retry = async (message: IncomingMessage, id: number) => {
    const job = queue.get(id);
    if (!job) return say(message.chat, `No job #${id}; /queue lists them.`);
    if (!isFinished(job)) return say(message.chat, `${jobTitle(job)} is ${job.state} already.`);
    if (job.state === 'done' && !job.progress?.failed) return say(message.chat, `${jobTitle(job)} has no failed entries to try again.`);
    await queue.update(job, { state: 'waiting', retryFailed: job.state === 'done' ? true : undefined, error: undefined });
    if (job.secretLink && !links.has(id)) return say(message.chat, `${jobTitle(job)} needs its link again (I never keep its token on disk): send it to me.`);
    await say(message.chat, job.retryFailed ? `Trying the ${job.progress?.failed} failed entries of ${jobTitle(job)} again.` : `${jobTitle(job)} goes on.`);
    pump();
    return undefined;
  };

  const pass = async (message: IncomingMessage, password: string) => {
    // The password is not left in the chat's history where the bot can help it.
    await chat.forget(message.chat, message.id);
    const waiting = (candidate: Job) => (candidate.lockedEntries && candidate.state === 'done') || (candidate.lockedArchive && candidate.state === 'failed');
    const job = [...queue.jobs].reverse().find((candidate) => waiting(candidate) && chatIdOf(candidate.chat) === chatIdOf(message.chat));
    if (!job) return say(message.chat, 'No archive here is waiting for a password.');
    // Told before the update: the job may start while it is saved, and its start clears `lockedArchive`.
    const what = job.lockedArchive ? '' : `${job.lockedEntries} file${job.lockedEntries === 1 ? '' : 's'} of `;
    passwords.set(job.id, password);
    await queue.update(job, { state: 'waiting', error: undefined });
    await say(message.chat, `Trying the password on ${what}${jobTitle(job)}.`);
    pump();
    return undefined;
  };

  /** A set sent as separate files, whole: one job reading every volume (a lone volume, as a single file). */
  const setComplete = async (set: GatheredSet) => {
    const [first] = set.volumes;
    const message = { id: first!.messageId, chat: set.chat, text: '' };
    const chatId = chatIdOf(set.chat);
    if (set.volumes.length === 1) return enqueue(message, `tg:${chatId}/${first!.messageId}`, first!.fileName, undefined, false, first!.documentId);
    const source = `tg:${chatId}/${set.volumes.map((volume) => volume.messageId).join('+')}`;
    log('volumes-gathered', { chat: chatId, volumes: set.volumes.length });
    return enqueue(message, source, set.main, undefined, false, set.volumes.map((volume) => volume.documentId).join('+'));
  };

  /** A set still missing volumes: without its first, what to do; else which ones are missing. */
  const setIncomplete = async (set: GatheredSet, missing: readonly string[]) => {
    const [first] = set.volumes;
    const volume = volumeNameOf(first!.fileName);
    if (volume && missing.includes(volume.main)) return say(set.chat, laterVolumeText(first!.fileName, volume));
    return say(set.chat, missingVolumesText(set.main, set.volumes.length, missing));
  };

  /**
   * Volumes of sets sent as separate files; their answers and jobs follow the messages handled
   * before. The sets waiting are kept after each change, once a set taken has its job saved: a
   * restart takes them up again, and at worst says "already in the queue" for a set twice.
   */
  const volumes = volumeGathering({
    window: options.volumeWindow ?? options.mediaWindow,
    onComplete: (set) => after(() => setComplete(set), set.chat),
    onIncomplete: (set, missing) => after(() => setIncomplete(set, missing), set.chat),
    saved: await loadWaitingVolumes(state),
    onChange: (sets) => after(() => saveWaitingVolumes(state, sets)),
  });

  const fileMessage = async (message: IncomingMessage) => {
    const file = message.file!;
    if (file.kind === 'document') {
      const kind = archiveKindOf(file.fileName, file.document.mimeType);
      if (kind !== 'other' && volumes.add(message.chat, { messageId: message.id, fileName: file.fileName, documentId: file.document.id.toString() })) return undefined;
      if (kind === 'archive') return enqueue(message, `tg:${chatIdOf(message.chat)}/${message.id}`, file.fileName, undefined, false, file.document.id.toString());
    }
    const destination = access.defaultChat;
    try {
      const peer = destination ? (await resolveChat(connection.client, destination, connection.isBot)).peer : inputPeerOf(message.chat);
      relay.add({ ...message, file }, peer, destination ?? chatIdOf(message.chat));
    } catch (error) {
      await say(message.chat, `Cannot post to ${destination}: ${describeError(error)}`);
    }
    return undefined;
  };

  const handle = async (message: IncomingMessage) => {
    const command = parseBotCommand(message.text);
    log('command', { user: message.senderId, command: command.kind });
    switch (command.kind) {
      case 'send':
        return sendCommand(message, command);
      case 'queue': {
        const lines = queue.jobs.slice(-30).map((job) => queueLine(job, runs.get(job.id)?.live));
        return say(message.chat, lines.length ? `${paused.value ? 'Paused (/resume goes on).\n' : ''}${lines.join('\n')}` : 'The queue is empty. /send <link> to start.');
      }
      case 'status':
        return statusCommand(message, command.job);
      case 'pause':
        await queue.setPaused(true);
        paused.next(true);
        return say(message.chat, runs.size ? 'Pausing after the current album. /resume goes on.' : 'Paused: no job starts until /resume.');
      case 'resume':
        await queue.setPaused(false);
        paused.next(false);
        pump();
        return say(message.chat, 'Going on.');
      case 'cancel':
        return cancel(message, command.job);
      case 'retry':
        return retry(message, command.job);
      case 'pass':
        return pass(message, command.password);
      case 'help':
        return say(message.chat, helpText());
      case 'malformed':
        return say(message.chat, command.answer);
      case 'unknown':
        return say(message.chat, `I don't know ${command.command}. /help lists what I can do.`);
      case 'none':
        // In a group, what members post among themselves is none of the bot's business.
        if (message.chat.kind !== 'user') return undefined;
        return message.file ? fileMessage(message) : say(message.chat, 'Send /help to see what I can do.');
    }
  };

  /** Runs `step` after every message and set taken before it; a failure is logged, and told in `from`. */
  function after(step: () => Promise<unknown>, from?: Job['chat']): void {
    handling = handling.then(async () => {
      try {
        await step();
      } catch (error) {
        log('error', { error: describeError(error) });
        if (from) await say(from, `Something went wrong: ${describeError(error)}`);
      }
    });
  }
  const onUpdate = (update: unknown) => {
    if (stopping) return;
    const message = incomingMessage(update as Parameters<typeof incomingMessage>[0]);
    if (!message) return;
    // A channel's own posts have no sender, and ask nothing of the bot.
    if (!message.senderId) return;
    if (!access.allowedUsers.has(message.senderId)) {
      // No answer, and not a word of what they wrote.
      log('refused', { user: message.senderId, chat: chatIdOf(message.chat) });
      return;
    }
    after(() => handle(message), message.chat);
  };
  const events = new Raw({});
  // Resolved now rather than by the first update, which would then be handled after the second.
  await events.resolve(connection.client);
  connection.client.addEventHandler(onUpdate, events);

  /** What a job's manifest says was delivered, for the owner after a restart. */
  const deliveredSoFar = async (job: Job): Promise<string> => {
    if (!job.manifest) return '';
    try {
      const manifest = await Manifest.load(job.manifest, job.name);
      return manifest ? ` (${summarise(manifest.data).delivered} entries were delivered before)` : '';
    } catch {
      return '';
    }
  };

  // Jobs that were running when the bot last stopped go on first, and their owners hear of it. The
  // notice goes before the state changes: a kill between the two repeats it, rather than losing it.
  for (const job of queue.jobs.filter((candidate) => candidate.state === 'running' || (candidate.state === 'waiting' && candidate.secretLink))) {
    const was = job.state === 'running' ? 'was running' : 'is waiting';
    if (job.secretLink) {
      await say(job.chat, `I restarted. ${jobTitle(job)} ${was}; its link may hold a token, which I never keep on disk: send the link again to go on.`);
    } else {
      await say(job.chat, `I restarted: going on with ${jobTitle(job)}${await deliveredSoFar(job)}.`);
    }
    if (job.state === 'running') await queue.update(job, { state: 'waiting' });
  }
  // A job that ended as the bot stopped, before its report went out.
  for (const job of queue.jobs.filter((candidate) => candidate.reportPending)) {
    await say(job.chat, `I restarted. ${queueLine(job, undefined)} (it ended as I stopped).`);
    await queue.update(job, { reportPending: undefined });
  }
  log('started', { jobs: queue.jobs.length, paused: paused.value });
  pump();

  return {
    queue,
    async stop() {
      stopping = true;
      connection.client.removeEventHandler(onUpdate, events);
      statuses.stop();
      volumes.stop();
      await relay.flush();
      await Promise.all([...runs.values()].map((run) => run.stop()));
      await queue.save();
      await rm(scratch, { recursive: true, force: true });
      log('stopped', {});
    },
  };
}
