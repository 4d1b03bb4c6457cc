/** Twilio's answers, sorted into retry, fail, or unknown. */
import type { Channel } from '../core/channels.js';
import { ChannelError } from './channel.js';

/**
 * Twilio error codes that mean the message can never go to that number: invalid or
 * unreachable numbers, landlines for SMS, numbers that replied STOP to our sender.
 */
const PERMANENT_CODES = new Set([21211, 21214, 21217, 21219, 21401, 21407, 21408, 21421, 21602, 21604, 21610, 21612, 21614, 21617, 21635, 30003, 30005, 30006]);

/** A RestException from the SDK as a ChannelError, or null when the error is not an HTTP answer. */
export function twilioFailure(e: unknown, channel: Channel): ChannelError | null {
  const err = e as { status?: number; code?: number; message?: string };
  if (typeof err?.status !== 'number') return null;
  const code = String(err.code ?? err.status);
  if (err.status === 429) return new ChannelError('transient', code, `${channel}: Twilio is throttling (429, code ${code})`, { cause: e });
  if (err.status >= 500) return new ChannelError('transient', code, `${channel}: Twilio answered ${err.status} (code ${code})`, { cause: e });
  if (err.status === 401 || err.status === 403) return new ChannelError('permanent', code, `${channel}: Twilio refused the credentials (${err.status}, code ${code})`, { cause: e });
  if (PERMANENT_CODES.has(Number(err.code)) || err.status === 400 || err.status === 404) {
    return new ChannelError('permanent', code, `${channel}: Twilio rejected the message (${err.status}, code ${code})`, { cause: e });
  }
  return new ChannelError('transient', code, `${channel}: Twilio answered ${err.status} (code ${code})`, { cause: e });
}
