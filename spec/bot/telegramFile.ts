import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Api } from 'telegram';
import { TelegramServer, type TelegramServerJson } from '../support/telegramRecorder.js';

/**
 * Telegram's side of the bot's crash spec, kept on disk so that it outlives a killed bot as the
 * real Telegram does. Two files: `<file>` holds the server as JSON (see
 * {@link TelegramServer.toJSON}) without its uploaded parts, written whole after every answered
 * request (a temp file renamed over it, so a kill from outside leaves the one before); and
 * `<file>.parts.jsonl`, to which every uploaded part is appended as it arrives, as base64.
 * Rewriting the parts of an 11 MiB upload after every request would take most of the spec's time.
 */

/** One line of the parts log: file id, part number, bytes as base64, and the total of a big upload. */
export type PartLine = [fileId: string, part: number, bytes: string, totalParts?: number];

const partsLog = (file: string) => `${file}.parts.jsonl`;

/** Every part saved with `file`, in the order they came, a part sent again as often as it was. */
export function partsLogOf(file: string): PartLine[] {
  const lines = existsSync(partsLog(file)) ? readFileSync(partsLog(file), 'utf8').split('\n') : [];
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as PartLine];
    } catch {
      // The last line, cut short by a kill from outside (or the empty one after the last newline).
      return [];
    }
  });
}

/** The server as it was last saved to `file`, or a new one if it never was. */
export function loadTelegram(file: string): TelegramServer {
  if (!existsSync(file)) return new TelegramServer();
  const json = JSON.parse(readFileSync(file, 'utf8')) as TelegramServerJson;
  const parts = new Map<string, Map<number, string>>();
  const partLengths = new Map(json.partLengths);
  const totalParts = new Map(json.totalParts);
  for (const [fileId, part, bytes, total] of partsLogOf(file)) {
    parts.set(fileId, (parts.get(fileId) ?? new Map<number, string>()).set(part, bytes));
    partLengths.set(`${fileId}/${part}`, Buffer.from(bytes, 'base64').length);
    if (total !== undefined) totalParts.set(fileId, total);
  }
  return TelegramServer.fromJSON({
    ...json,
    parts: [...parts].map(([fileId, byPart]) => [fileId, [...byPart]]),
    partLengths: [...partLengths],
    totalParts: [...totalParts],
  });
}

/**
 * Saves the server after it answered `request`: appends the part it carried, if any, then
 * writes everything else.
 */
export function saveTelegram(server: TelegramServer, file: string, request?: Api.AnyRequest): void {
  if (request instanceof Api.upload.SaveFilePart || request instanceof Api.upload.SaveBigFilePart) {
    const line: PartLine = [request.fileId.toString(), request.filePart, Buffer.from(request.bytes).toString('base64')];
    if (request instanceof Api.upload.SaveBigFilePart) line.push(request.fileTotalParts);
    appendFileSync(partsLog(file), `${JSON.stringify(line)}\n`);
  }
  writeFileSync(`${file}.tmp`, JSON.stringify({ ...server.toJSON(), parts: [] }));
  renameSync(`${file}.tmp`, file);
}
