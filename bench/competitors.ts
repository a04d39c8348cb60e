import { spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from './measure.js';

/** The built CLI, `dist/src/cli/main.js`; `npm run bench` compiles it first. */
export const unspoolCli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** Which camera-roll archive a benchmark reads. */
export type ArchiveKind = 'zip' | 'tgz';

/**
 * Which archive an extractor reads: one of the camera roll's, or the stored 1 GB zip of
 * `storedZip.ts` (200 photos of 2 MB and a 600 MB video, nothing compressed).
 */
export type ExtractionArchive = ArchiveKind | 'stored';

/** One way of getting the benchmark archive's files onto disk. */
export interface Competitor {
  /** Short name for the table and for `--only`. */
  readonly name: string;
  readonly archive: ExtractionArchive;
  /** Whether this is unspool (temp bytes and albums are measured too). */
  readonly unspool: boolean;
  /** Finds the program to run; `undefined` when it is not installed (the competitor is skipped). */
  locate(): Promise<string | undefined>;
  /** The arguments that print the program's version on its first line. */
  readonly versionArgs: readonly string[];
  /** The command line, given the program, the archive, an empty output folder and a fresh state folder. */
  command(program: string, archive: string, out: string, state: string): Command;
}

/**
 * Finds a program as the shell would: an absolute path as is, else the first executable of that
 * name on `PATH`.
 *
 * @return Its path, or `undefined` when it is not installed.
 */
export async function findBinary(name: string): Promise<string | undefined> {
  const candidates = isAbsolute(name) ? [name] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

/**
 * The interpreter behind `python3`, asked for `sys.executable`: a version manager's shim (pyenv)
 * would otherwise add its own processes and start-up time to Python's numbers.
 */
async function locatePython(): Promise<string | undefined> {
  const shim = await findBinary('python3');
  if (!shim) return undefined;
  const asked = spawnSync(shim, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  return asked.status === 0 && asked.stdout.trim() ? asked.stdout.trim() : shim;
}

/**
 * `send <archive> --to dir:<out> --state <state> --min-free 1MB --json`: unspool as the benchmark
 * runs it, with free space never the limit.
 */
export function unspoolSendArgs(archive: string, out: string, state: string): string[] {
  return ['send', archive, '--to', `dir:${out}`, '--state', state, '--min-free', '1MB', '--json'];
}

const unspool = (archive: ExtractionArchive): Competitor => ({
  name: `unspool-${archive}`,
  archive,
  unspool: true,
  locate: async () => process.execPath,
  versionArgs: [unspoolCli, '--version'],
  command: (node, path, out, state) => ({ command: node, args: [unspoolCli, ...unspoolSendArgs(path, out, state)] }),
});

/** Python's `zipfile` `extractall`, on the archive given. */
const pythonZipfile = (name: string, archive: ExtractionArchive): Competitor => ({
  name,
  archive,
  unspool: false,
  locate: locatePython,
  versionArgs: ['--version'],
  command: (python, path, out) => ({
    command: python,
    args: ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', path, out],
  }),
});

/**
 * Everything the extraction benchmark runs, in order: `cp` (the floor: reading and writing the
 * bytes once), the zip extractors, unspool on the zip, `tar`, unspool on the tar.gz, then Python's
 * `zipfile` and unspool on the stored zip (issue 14's comparison).
 */
export const competitors: readonly Competitor[] = [
  {
    name: 'cp',
    archive: 'zip',
    unspool: false,
    locate: () => findBinary('cp'),
    versionArgs: ['--version'],
    command: (cp, path, out) => ({ command: cp, args: [path, out] }),
  },
  {
    name: 'unzip',
    archive: 'zip',
    unspool: false,
    locate: () => findBinary('unzip'),
    versionArgs: ['-v'],
    command: (unzip, path, out) => ({ command: unzip, args: ['-qq', '-o', path, '-d', out] }),
  },
  pythonZipfile('python-zipfile', 'zip'),
  unspool('zip'),
  {
    name: 'tar',
    archive: 'tgz',
    unspool: false,
    locate: () => findBinary('tar'),
    versionArgs: ['--version'],
    command: (tar, path, out) => ({ command: tar, args: ['-xzf', path, '-C', out] }),
  },
  unspool('tgz'),
  pythonZipfile('python-zipfile-stored', 'stored'),
  unspool('stored'),
];

/**
 * The first line a program prints about its version, for the report.
 *
 * @param program Its path.
 * @param args `--version`, or what the program wants instead.
 */
export function versionOf(program: string, args: readonly string[]): string {
  const asked = spawnSync(program, args, { encoding: 'utf8' });
  return `${asked.stdout ?? ''}${asked.stderr ?? ''}`.trim().split('\n')[0] ?? '';
}
