/** Twilio-shaped identifiers and dates. */
import { randomUUID } from 'node:crypto';

/**
 * A SID: a two-letter prefix (`SM` message, `CA` call, `RQ` request…) and 32 lower-case hex
 * digits. `randomUUID` draws from a cached entropy pool, so this is cheap on the request path.
 */
export function newSid(prefix: string): string {
  return prefix + randomUUID().replaceAll('-', '');
}

/** A date as Twilio writes it in resources and webhooks: RFC 2822, `Mon, 01 Mar 2021 09:00:00 +0000`. */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}
