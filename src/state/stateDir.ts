import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The default state folder: `$UNSPOOL_STATE`, else `$XDG_STATE_HOME/unspool`, else
 * `~/.local/state/unspool` (on Termux that is inside the app's private storage).
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.UNSPOOL_STATE) return resolve(env.UNSPOOL_STATE);
  return join(env.XDG_STATE_HOME ? resolve(env.XDG_STATE_HOME) : join(homedir(), '.local', 'state'), 'unspool');
}

/** The places unspool keeps things in for one archive, inside the state folder. */
export interface ArchivePaths {
  /** 16 hex digits derived from the archive's absolute path. */
  readonly id: string;
  /** `<state>/manifests/<id>.json` */
  readonly manifest: string;
  /** `<state>/tmp/<id>`: this archive's temp files, emptied at the start and end of every run. */
  readonly tmp: string;
  /** `<state>/locks/<id>.lock`: held by the live run of this archive, with its pid. */
  readonly lock: string;
}

/**
 * Where the state of one archive lives.
 *
 * @param state The state folder.
 * @param archivePath The archive's path (made absolute, so the same file always maps the same).
 */
export function archivePaths(state: string, archivePath: string): ArchivePaths {
  const id = createHash('sha256').update(resolve(archivePath)).digest('hex').slice(0, 16);
  return {
    id,
    manifest: join(state, 'manifests', `${id}.json`),
    tmp: join(state, 'tmp', id),
    lock: join(state, 'locks', `${id}.lock`),
  };
}
