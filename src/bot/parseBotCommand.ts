import { isHttpUrl } from '../sources/http/redactUrl.js';
import { isTelegramDocumentName } from '../sources/telegram/telegramDocumentName.js';
import { isTorboxName } from '../sources/torbox/torboxName.js';

/** What a message asks of the bot. */
export type BotCommand =
  /** `/send <source> [to <chat>] [again]`, or a link or Torbox id pasted alone. */
  | { readonly kind: 'send'; readonly source: string; readonly to?: string; readonly again: boolean }
  | { readonly kind: 'queue' }
  | { readonly kind: 'status'; readonly job?: number }
  | { readonly kind: 'pause' }
  | { readonly kind: 'resume' }
  | { readonly kind: 'cancel'; readonly job: number }
  | { readonly kind: 'retry'; readonly job: number }
  /** `/pass <password>`: the password, verbatim; never logged. */
  | { readonly kind: 'pass'; readonly password: string }
  | { readonly kind: 'help' }
  /** A command the bot has, written wrongly: `answer` says how to write it. */
  | { readonly kind: 'malformed'; readonly answer: string }
  /** A command the bot does not have. */
  | { readonly kind: 'unknown'; readonly command: string }
  /** Text that asks nothing. */
  | { readonly kind: 'none' };

/** How each command is written, for `/help` and for answers to malformed ones. */
export const usage = {
  send: '/send <path | https URL | torbox:<id> | t.me link> [to <chat>] [again]',
  status: '/status [job]',
  cancel: '/cancel <job>',
  retry: '/retry <job>',
  pass: '/pass <password>',
} as const;

/** Whether text alone names an archive to send: a link, a `torbox:` name, a bare Torbox id, a `tg:` name. */
function isSourceAlone(text: string): boolean {
  return !/\s/.test(text) && (isHttpUrl(text) || isTorboxName(text) || isTelegramDocumentName(text) || /^\d{1,15}$/.test(text));
}

/** `/send`'s arguments: the source is what is left once `again` and `to <chat>` are taken off the end. */
function parseSend(rest: string): BotCommand {
  const words = rest.split(/\s+/).filter(Boolean);
  let again = false;
  let to: string | undefined;
  if (words.at(-1)?.toLowerCase() === 'again') {
    again = true;
    words.pop();
  }
  if (words.length >= 3 && words.at(-2)?.toLowerCase() === 'to') {
    to = words.pop();
    words.pop();
  }
  if (words.length === 0) return { kind: 'malformed', answer: `Send what? ${usage.send}` };
  const source = words.join(' ');
  return { kind: 'send', source: /^\d{1,15}$/.test(source) ? `torbox:${source}` : source, ...(to ? { to } : {}), again };
}

/** A job number argument, or the answer that says it is missing. */
function jobNumber(rest: string, how: string): number | string {
  const text = rest.trim().replace(/^#/, '');
  if (!/^\d{1,9}$/.test(text)) return `${text ? `"${text}" is not a job number` : 'Which job?'} ${how}; /queue lists them`;
  return Number(text);
}

/**
 * Reads a message as a command. Commands may carry the bot's name (`/send@my_bot`, as Telegram
 * writes them in groups); a link, `torbox:` name or bare Torbox id pasted alone means `/send` it.
 *
 * @param text The message's text.
 */
export function parseBotCommand(text: string): BotCommand {
  const trimmed = text.trim();
  const match = /^\/([A-Za-z_]+)(?:@\w+)?(?:\s+([\s\S]*))?$/.exec(trimmed);
  if (!match) {
    if (isSourceAlone(trimmed)) return parseSend(trimmed);
    return { kind: 'none' };
  }
  const name = match[1]!.toLowerCase();
  const rest = match[2] ?? '';
  switch (name) {
    case 'send':
      return parseSend(rest);
    case 'queue':
      return { kind: 'queue' };
    case 'status': {
      if (!rest.trim()) return { kind: 'status' };
      const job = jobNumber(rest, usage.status);
      return typeof job === 'number' ? { kind: 'status', job } : { kind: 'malformed', answer: job };
    }
    case 'pause':
      return { kind: 'pause' };
    case 'resume':
      return { kind: 'resume' };
    case 'cancel':
    case 'retry': {
      const job = jobNumber(rest, usage[name]);
      return typeof job === 'number' ? { kind: name, job } : { kind: 'malformed', answer: job };
    }
    case 'pass':
      // The password is everything after the command, spaces included, exactly as typed.
      return rest === '' ? { kind: 'malformed', answer: `Which password? ${usage.pass}` } : { kind: 'pass', password: rest };
    case 'help':
    case 'start':
      return { kind: 'help' };
    default:
      return { kind: 'unknown', command: `/${name}` };
  }
}
