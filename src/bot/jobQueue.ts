import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../state/durableFile.js';
import { ConfigError, describeError } from '../errors.js';
import { isFinished, type Job, type JobChange } from './job.js';

/** The queue file's format version this build writes and reads. */
export const queueVersion = 1;

/** What the queue file holds. */
interface QueueData {
  version: number;
  /** The number the next job gets. */
  nextId: number;
  /** Whether the owner said `/pause`: it holds across restarts. */
  paused: boolean;
  jobs: Job[];
}

/** Finished jobs kept for `/queue` and for recognising an archive sent again; older ones are dropped. */
const keptFinished = 200;

/**
 * The bot's jobs, kept in `<state>/bot/queue.json` and written durably (a temp file fsynced and
 * renamed, as manifests are) after every change, so that they survive restarts, crashes and power
 * cuts. A job holds no secret (see {@link Job}), so neither does the file.
 *
 * Changes are made through {@link JobQueue.update} and friends, which save before they return;
 * saves are serialised, so the file always holds the latest state, whole.
 */
export class JobQueue {
  private saving: Promise<void> = Promise.resolve();

  private constructor(readonly file: string, private readonly data: QueueData) {}

  /**
   * Opens the queue of a state folder, or an empty one.
   *
   * @throws ConfigError when the file exists but is not a queue this build can read.
   */
  static async open(state: string): Promise<JobQueue> {
    const file = join(state, 'bot', 'queue.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new JobQueue(file, { version: queueVersion, nextId: 1, paused: false, jobs: [] });
      throw new ConfigError(`cannot read the bot's queue ${file}: ${describeError(error)}`);
    }
    let data: QueueData;
    try {
      data = JSON.parse(text) as QueueData;
    } catch {
      throw new ConfigError(`the bot's queue ${file} is not valid JSON; move it aside to start with an empty queue`);
    }
    if (data?.version !== queueVersion || !Array.isArray(data.jobs) || typeof data.nextId !== 'number') {
      throw new ConfigError(`the bot's queue ${file} is not a version ${queueVersion} queue; move it aside to start with an empty queue`);
    }
    return new JobQueue(file, data);
  }

  /** Every job, oldest first. */
  get jobs(): readonly Job[] {
    return this.data.jobs;
  }

  get paused(): boolean {
    return this.data.paused;
  }

  /** A job by its number. */
  get(id: number): Job | undefined {
    return this.data.jobs.find((job) => job.id === id);
  }

  /** The jobs waiting, in the order they will run. */
  waiting(): Job[] {
    return this.data.jobs.filter((job) => job.state === 'waiting');
  }

  /** Adds a job at the end of the line and saves. */
  async add(job: Omit<Job, 'id' | 'state' | 'createdAt'>): Promise<Job> {
    const added: Job = { ...job, id: this.data.nextId++, state: 'waiting', createdAt: new Date().toISOString() };
    this.data.jobs.push(added);
    this.forgetOldJobs();
    await this.save();
    return added;
  }

  /** Changes a job and saves; a property given as `undefined` is removed. */
  async update(job: Job, change: JobChange): Promise<void> {
    Object.assign(job, change);
    for (const [key, value] of Object.entries(change)) {
      if (value === undefined) delete (job as unknown as Record<string, unknown>)[key];
    }
    await this.save();
  }

  /** Records `/pause` or `/resume` and saves. */
  async setPaused(paused: boolean): Promise<void> {
    this.data.paused = paused;
    await this.save();
  }

  private forgetOldJobs(): void {
    const finished = this.data.jobs.filter(isFinished);
    const drop = new Set(finished.slice(0, Math.max(0, finished.length - keptFinished)));
    if (drop.size) this.data.jobs = this.data.jobs.filter((job) => !drop.has(job));
  }

  /** Writes the queue as it is now, after any save already under way. */
  save(): Promise<void> {
    const text = `${JSON.stringify(this.data, null, 1)}\n`;
    this.saving = this.saving.catch(() => undefined).then(() => writeFileDurably(this.file, text));
    return this.saving;
  }
}
