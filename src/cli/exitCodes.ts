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
  /** Stopped by SIGINT. */
  interrupted: 130,
  /** Stopped by SIGTERM. */
  terminated: 143,
} as const;
