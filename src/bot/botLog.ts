/**
 * A structured log line of the bot: an event name and its fields. Never a token, a password or a
 * message's text. `unspool bot` writes them as JSON lines on stdout.
 */
export type BotLog = (event: string, fields?: Record<string, unknown>) => void;
