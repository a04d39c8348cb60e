#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { ArchiveError, ConfigError, describeError, UnreachableError } from '../errors.js';
import { defaultStateDir } from '../state/stateDir.js';
import { exitCodes } from './exitCodes.js';
import { parseSize } from '../size.js';

function size(text: string): number {
  try {
    return parseSize(text);
  } catch (error) {
    throw new InvalidArgumentError(describeError(error));
  }
}

function password(text: string): string {
  if (text === '') throw new InvalidArgumentError('expected a non-empty password');
  return text;
}

function integer(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return value;
  };
}

const program = new Command('unspool')
  .description('Deliver the contents of huge archives in albums, one album on disk at a time.')
  .version(process.env.npm_package_version ?? '0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (text, write) => write(`unspool: ${text.replace(/^error: /, '').trimEnd()}\n`) })
  .exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : exitCodes.usage);
  });

program
  .command('send')
  .description('deliver every entry of an archive (zip, 7z, RAR, tar, tar.gz/xz/bz2/zst; volume sets too) to a destination')
  .argument('<archive>', 'the archive: a file, an http(s):// address read in place, torbox:<id>, or tg:<chat>/<message-id>')
  .requiredOption('--to <destination>', 'where albums go: dir:<folder>, or telegram:<@name|id|-100id|me>')
  .option('--state <dir>', 'state folder (manifests, temp files)', defaultStateDir())
  .option('--album-size <n>', 'most files per album, 2 to 10', integer(2, 10), 10)
  .option('--min-free <size>', 'free space to keep on the state folder\'s disk (3GB, 500MiB, bytes)', size, 3_000_000_000)
  .option('--recheck-every <seconds>', 'seconds between free-space checks while paused', integer(1, 86_400), 30)
  .option('--retries <n>', 'retries per album after the first attempt', integer(0, 100), 2)
  .option('--max-entry-size <size>', 'skip entries larger than this as too-large (default: the destination\'s limit)', size)
  .option('--caption <template>', 'Telegram caption: {name} {path} {archive} {index} {total}', '{path}')
  .option('--split', 'send files over Telegram\'s upload limit as numbered pieces (cat joins them) instead of skipping them', false)
  .option('--retry-failed', 'attempt entries that failed in an earlier run again', false)
  .addOption(
    // argv is visible to every user of the machine (ps, /proc/<pid>/cmdline); the environment is not.
    new Option('--password <password>', 'password of an encrypted archive (zip, 7z, RAR); safer in the environment, since other users see argv in ps')
      .env('UNSPOOL_PASSWORD')
      .argParser(password),
  )
  .option('--restart', 'forget what earlier runs of this archive did and start over', false)
  .option(
    '--network-wait <seconds>',
    'seconds to wait for Telegram when the network is gone before stopping (run again to resume)',
    integer(1, 7 * 86_400),
    900,
  )
  .option('--json', 'print a JSON summary as the last line of stdout', false)
  .addOption(new Option('--verbose', 'log every step as a JSON line on stderr').default(false))
  .action(async (archive: string, options) => {
    // The variable's first name, from when only zips had passwords, still works.
    const zipOnly = process.env['UNSPOOL_ZIP_PASSWORD'];
    if (options.password === undefined && zipOnly !== undefined && zipOnly !== '') options.password = zipOnly;
    const { sendCommand } = await import('./sendCommand.js');
    process.exitCode = await sendCommand(archive, options);
  });

program
  .command('bot')
  .description('run the Telegram bot: a queue of archives driven by /send, with live /status and notices (see the README)')
  .option('--state <dir>', 'state folder (queue, manifests, temp files, config.env)', defaultStateDir())
  .option('--jobs <n>', 'jobs run at once, sharing the free-space threshold', integer(1, 8), 1)
  .option('--album-size <n>', 'most files per album, 2 to 10', integer(2, 10), 10)
  .option('--min-free <size>', 'free space to keep on the state folder\'s disk (3GB, 500MiB, bytes)', size, 3_000_000_000)
  .option('--recheck-every <seconds>', 'seconds between free-space checks while paused', integer(1, 86_400), 30)
  .option('--retries <n>', 'retries per album after the first attempt', integer(0, 100), 2)
  .option('--caption <template>', 'caption: {name} {path} {archive} {index} {total}', '{path}')
  .option('--split', 'send files over Telegram\'s upload limit as numbered pieces instead of skipping them', false)
  .option('--status-every <seconds>', 'seconds between edits of a live /status message', integer(2, 3600), 5)
  .option('--verbose', 'log every command and relayed file, not only jobs and refusals', false)
  .action(async (options) => {
    const { botCommand } = await import('./botCommand.js');
    process.exitCode = await botCommand(options);
  });

program
  .command('login')
  .description('log in to Telegram as a user (phone, code, 2FA password) and print the session string')
  .option('--state <dir>', 'state folder, where --save writes config.env', defaultStateDir())
  .option('--save', 'store the session as TELEGRAM_SESSION in <state>/config.env instead of printing it', false)
  .action(async (options) => {
    const { loginCommand } = await import('./loginCommand.js');
    process.exitCode = await loginCommand(options);
  });

program
  .command('status')
  .description('show every archive known to the state folder, and whether a run is live')
  .option('--state <dir>', 'state folder', defaultStateDir())
  .option('--json', 'print a JSON array', false)
  .action(async (options) => {
    const { statusCommand } = await import('./statusCommand.js');
    process.exitCode = await statusCommand(options);
  });

try {
  await program.parseAsync();
} catch (error) {
  process.stderr.write(`unspool: ${describeError(error)}\n`);
  process.exitCode =
    error instanceof ArchiveError
      ? exitCodes.unreadable
      : error instanceof ConfigError
        ? exitCodes.usage
        : error instanceof UnreachableError
          ? exitCodes.unreachable
          : exitCodes.someFailed;
}
// Everything is said and saved: what may still be pending is gramjs's, a connection attempt to a
// network that never answered, say, which would hold the process for minutes. What was written to
// a pipe may still be on its way (a summary of thousands of entries is larger than a pipe's
// buffer), so the process ends once stdout and stderr have taken it all.
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit();
