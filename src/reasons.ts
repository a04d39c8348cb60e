/**
 * The short, stable codes that say why an entry was not delivered. They are data: the summary,
 * the manifest, the logs and the bot show them, and scripts match them, so each one is listed
 * here once and in the README's table of reasons (a spec keeps the two the same).
 *
 * The lists are values as well as types so that the spec can read them; the types are what the
 * code uses.
 */

/** Reasons an entry is skipped on purpose, judged from its headers, before a byte is written. */
export const skipReasons = ['directory', 'empty', 'link', 'special', 'encrypted', 'encrypted-aes', 'unsupported-method', 'bomb', 'too-large'] as const;

/** Why an entry was skipped on purpose: a directory, a link, an empty file, a zip bomb, … */
export type SkipReason = (typeof skipReasons)[number];

/** Reasons an entry's bytes could not be read: the codes an {@link EntryError} carries. */
export const readFailReasons = ['crc-mismatch', 'size-mismatch', 'wrong-password', 'truncated', 'corrupt', 'unreadable'] as const;

/** Why an entry's bytes could not be read: they fail a check, end early, or cannot be inflated. */
export type ReadFailReason = (typeof readFailReasons)[number];

/** Reasons an entry fails before it reaches the sink: unreadable bytes, or no volume big enough. */
export const failReasons = [...readFailReasons, 'no-room'] as const;

/** Why an entry failed before it reached the sink. */
export type FailReason = (typeof failReasons)[number];

/** Reasons a sink gives of its own for not taking an album: the codes a {@link SinkError} carries. */
export const sinkReasons = ['write-error', 'sink-error', 'network', 'unconfirmed'] as const;

/** Why the sink did not take an album, when the sink itself says so. */
export type SinkReason = (typeof sinkReasons)[number];

/**
 * The name of an error Telegram answered with (`FLOOD_WAIT`, `MEDIA_INVALID`, `CHAT_WRITE_FORBIDDEN`,
 * …), kept as Telegram spells it. Telegram decides these names, so any string may come.
 */
export type TelegramErrorName = string;

/** Why an album was not delivered after every attempt: the sink's own reason, or Telegram's. */
export type UndeliveredReason = SinkReason | TelegramErrorName;

/**
 * Reasons the summary gives for what no single entry stands for: the part of an archive after a
 * break in a tar stream (a whole archive that cannot be read is `unreadable`).
 */
export const archiveReasons = ['archive-broken'] as const;

/** Why the rest of an archive was not delivered. */
export type ArchiveReason = (typeof archiveReasons)[number];

/** Every reason unspool itself gives, skipped or failed; Telegram's error names come on top. */
export const reasons = [...skipReasons, ...failReasons, ...sinkReasons, ...archiveReasons] as const;

/** A reason unspool itself gives. */
export type Reason = (typeof reasons)[number];

/**
 * A reason as the manifest and the summary keep it: a {@link Reason}, the name of an error Telegram
 * answered with, or whatever an older build wrote. Plain text, so that every manifest still loads.
 */
export type RecordedReason = Reason | TelegramErrorName;
