import { Api, errors, helpers } from 'telegram';

/** What the `TelegramWire` says as Telegram besides the handler's answers, and how it puts those answers. */

/** The code and message Telegram sent, from the gramjs error made of them: some classes keep only a captured number. */
export function rpcErrorOf(error: InstanceType<typeof errors.RPCError>): { code: number; message: string } {
  const captured: [new (...args: never[]) => object, string, number, 'seconds' | 'newDc'][] = [
    [errors.FloodTestPhoneWaitError, 'FLOOD_TEST_PHONE_WAIT_', 420, 'seconds'],
    [errors.SlowModeWaitError, 'SLOWMODE_WAIT_', 420, 'seconds'],
    [errors.FloodWaitError, 'FLOOD_WAIT_', 420, 'seconds'],
    [errors.FileMigrateError, 'FILE_MIGRATE_', 303, 'newDc'],
    [errors.PhoneMigrateError, 'PHONE_MIGRATE_', 303, 'newDc'],
    [errors.UserMigrateError, 'USER_MIGRATE_', 303, 'newDc'],
    [errors.NetworkMigrateError, 'NETWORK_MIGRATE_', 303, 'newDc'],
  ];
  for (const [Class, prefix, code, field] of captured) {
    if (error instanceof Class) return { code, message: `${prefix}${(error as unknown as Record<string, number>)[field]}` };
  }
  return { code: error.code ?? 400, message: error.errorMessage ?? 'UNKNOWN' };
}

/**
 * An answer that gramjs can read back. gramjs writes a `User` with `bot` set and no
 * `botInfoVersion` (or `restricted` and no reasons) with a flag bit that says the field follows,
 * and then leaves it out, as the recorder's default bot account is; such users are copied with the
 * field filled in. Everything else is sent as it is.
 */
export function sendable<T>(value: T): T {
  if (Array.isArray(value)) {
    const items = value.map(sendable);
    return (items.some((item, index) => item !== value[index]) ? items : value) as T;
  }
  if (value === null || typeof value !== 'object' || !('className' in value)) return value;
  const changes: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === null || typeof field !== 'object') continue;
    const repaired = sendable(field);
    if (repaired !== field) changes[key] = repaired;
  }
  if (value instanceof Api.User) {
    if (value.bot && value.botInfoVersion === undefined) changes.botInfoVersion = 1;
    if (value.restricted && value.restrictionReason === undefined) changes.restrictionReason = [];
  }
  return Object.keys(changes).length === 0 ? value : (Object.assign(Object.create(Object.getPrototypeOf(value) as object), value, changes) as T);
}

/** What a login needs when the handler has no answer: the update state, and a user account as itself. */
export function loginAnswer(request: Api.AnyRequest): unknown {
  if (request instanceof Api.updates.GetState) return new Api.updates.State({ pts: 1, qts: 0, date: Math.floor(Date.now() / 1000), seq: 0, unreadCount: 0 });
  if (request instanceof Api.users.GetUsers && request.id.every((input) => input instanceof Api.InputUserSelf)) {
    return request.id.map(() => new Api.User({ id: helpers.returnBigInt(777001), accessHash: helpers.returnBigInt(1), self: true, firstName: 'wire' }));
  }
  return undefined;
}

/** What `help.getConfig` answers, asked by every `connect()`: plausible values, every data center at `address`. */
export function telegramConfig(address: string): Api.Config {
  const now = Math.floor(Date.now() / 1000);
  return new Api.Config({
    date: now,
    expires: now + 3600,
    testMode: false,
    thisDc: 2,
    dcOptions: [1, 2, 3, 4, 5].map((id) => new Api.DcOption({ id, ipAddress: address, port: 443 })),
    dcTxtDomainName: 'apv3.stel.com',
    chatSizeMax: 200,
    megagroupSizeMax: 200_000,
    forwardedCountMax: 100,
    onlineUpdatePeriodMs: 210_000,
    offlineBlurTimeoutMs: 5000,
    offlineIdleTimeoutMs: 30_000,
    onlineCloudTimeoutMs: 300_000,
    notifyCloudDelayMs: 30_000,
    notifyDefaultDelayMs: 1500,
    pushChatPeriodMs: 60_000,
    pushChatLimit: 2,
    editTimeLimit: 172_800,
    revokeTimeLimit: 2_147_483_647,
    revokePmTimeLimit: 2_147_483_647,
    ratingEDecay: 2_419_200,
    stickersRecentLimit: 200,
    channelsReadMediaPeriod: 604_800,
    callReceiveTimeoutMs: 20_000,
    callRingTimeoutMs: 90_000,
    callConnectTimeoutMs: 30_000,
    callPacketTimeoutMs: 10_000,
    meUrlPrefix: 'https://t.me/',
    captionLengthMax: 1024,
    messageLengthMax: 4096,
    webfileDcId: 4,
  });
}
