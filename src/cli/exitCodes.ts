/** The exit codes of the `unspool` command, as the README documents them. */
export const exitCodes = {
  /** Every entry delivered or deliberately skipped. */
  ok: 0,
  /** Some entries failed. */
  someFailed: 1,
  /** A usage or configuration error. */
  usage: 2,
  /** The source cannot be read as an archive. */
  unreadable: 3,
  /** Telegram (or the archive's server) stayed out of reach for `--network-wait`; run again to resume. */
  unreachable: 4,
  /** A defect: the run stopped making progress with nothing left to wait for; run again to resume. */
  internalError: 70,
  /** Stopped by SIGINT. */
  interrupted: 130,
  /** Stopped by SIGTERM. */
  terminated: 143,
} as const;
