/**
 * Simulated inbound messages: what Twilio posts to a number's messaging webhook when a citizen
 * replies (STOP, SI, NO…) by SMS, or by WhatsApp (a text, or a tap on a template's quick-reply
 * button), signed like every Twilio webhook.
 */
import { InvitoError } from '../core/errors.js';
import { WHATSAPP_PREFIX, parseAddress } from './addresses.js';
import { SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, SANDBOX_SENDER } from './credentials.js';
import { newSid } from './ids.js';
import { countSegments } from './segments.js';
import { twilioSignature } from './signature.js';
import { gatherAction } from './twiml.js';

/** What only a WhatsApp inbound carries (`from` is `whatsapp:+…`). */
export interface InboundWhatsAppOptions {
  /** The citizen's WhatsApp profile name (`ProfileName`); not posted when absent. */
  readonly profileName?: string;
  /**
   * A tap on a quick-reply button of a template: the button's label (`ButtonText`), which is
   * also the `Body` when `body` is not given, as Twilio posts it.
   */
  readonly buttonText?: string;
  /** The tapped button's id as the template defines it (`ButtonPayload`); only with `buttonText`. */
  readonly buttonPayload?: string;
}

export interface InboundMessage extends InboundWhatsAppOptions {
  /** The app's inbound-message webhook. */
  readonly webhookUrl: string;
  /** The citizen's number: `+393331234567` (SMS), or `whatsapp:+393331234567` (WhatsApp). */
  readonly from: string;
  /**
   * The number the citizen wrote to; for WhatsApp `whatsapp:` is added when missing.
   * @defaultValue SANDBOX_SENDER (`whatsapp:` + SANDBOX_SENDER for WhatsApp)
   */
  readonly to?: string;
  /** What the citizen wrote. @defaultValue `buttonText` for a button tap, else '' */
  readonly body?: string;
  /** Present when the number belongs to a Messaging Service. */
  readonly messagingServiceSid?: string;
  /** @defaultValue SANDBOX_ACCOUNT_SID */
  readonly accountSid?: string;
  /** Signs the webhook. @defaultValue SANDBOX_AUTH_TOKEN */
  readonly authToken?: string;
  /** @defaultValue 10000 */
  readonly timeoutMs?: number;
}

export interface InboundResult {
  /** The `MessageSid` the webhook carried. */
  readonly messageSid: string;
  /** The webhook's HTTP status. */
  readonly status: number;
  /** The webhook's answer (TwiML, usually). */
  readonly body: string;
  /** The parameters that were posted, as Twilio names them. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Posts a signed inbound-message webhook, as Twilio does when `from` texts `to`. Resolves with
 * the webhook's answer whatever its status; throws `WEBHOOK_FAILED` only when no answer came,
 * `USAGE` for WhatsApp-only options on an SMS or a `buttonPayload` without `buttonText`.
 *
 * @example
 * await sendInboundMessage({ webhookUrl: 'http://127.0.0.1:3000/twilio/inbound', from: '+393331234567', body: 'STOP' });
 * await sendInboundMessage({ webhookUrl, from: 'whatsapp:+393331234567', buttonText: 'Confermo', buttonPayload: 'confirm' });
 */
export async function sendInboundMessage(m: InboundMessage): Promise<InboundResult> {
  const whatsapp = parseAddress(m.from).channel === 'whatsapp';
  const wa = { profileName: m.profileName, buttonText: m.buttonText, buttonPayload: m.buttonPayload };
  if (!whatsapp) {
    const given = Object.entries(wa).filter(([, v]) => v !== undefined).map(([k]) => k);
    if (given.length > 0) throw new InvitoError('USAGE', `${given.join(', ')}: WhatsApp only (from must be whatsapp:+…)`);
  }
  if (m.buttonPayload !== undefined && m.buttonText === undefined) throw new InvitoError('USAGE', 'buttonPayload needs the buttonText of the button that was tapped');
  const body = m.body ?? m.buttonText ?? '';
  const to = m.to ?? SANDBOX_SENDER;
  const sid = newSid('SM');
  const params: Record<string, string> = {
    MessageSid: sid,
    SmsMessageSid: sid,
    SmsSid: sid,
    AccountSid: m.accountSid ?? SANDBOX_ACCOUNT_SID,
    From: m.from,
    To: whatsapp && !to.startsWith(WHATSAPP_PREFIX) ? WHATSAPP_PREFIX + to : to,
    Body: body,
    NumMedia: '0',
    // WhatsApp is not cut into segments.
    NumSegments: whatsapp ? '1' : String(countSegments(body)),
    SmsStatus: 'received',
    ApiVersion: '2010-04-01',
  };
  if (m.messagingServiceSid) params.MessagingServiceSid = m.messagingServiceSid;
  if (whatsapp) {
    params.MessageType = m.buttonText === undefined ? 'text' : 'button';
    // The citizen's WhatsApp ID: the number's digits, without `+`.
    params.WaId = parseAddress(m.from).number.replace(/\D/g, '');
    if (m.profileName !== undefined) params.ProfileName = m.profileName;
    if (m.buttonText !== undefined) params.ButtonText = m.buttonText;
    if (m.buttonPayload !== undefined) params.ButtonPayload = m.buttonPayload;
  }
  const signature = twilioSignature(m.authToken ?? SANDBOX_AUTH_TOKEN, m.webhookUrl, params);
  let response: Response;
  try {
    response = await fetch(m.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(m.timeoutMs ?? 10_000),
    });
  } catch (e) {
    throw new InvitoError('WEBHOOK_FAILED', `the inbound webhook did not answer (${(e as Error).message})`, { cause: e });
  }
  return { messageSid: sid, status: response.status, body: await response.text(), params };
}

export interface InboundCall {
  /** The app's voice webhook for calls to its number (`…/webhooks/twilio/voice/inbound`). */
  readonly webhookUrl: string;
  /** The caller's number. */
  readonly from: string;
  /** The number called. @defaultValue SANDBOX_SENDER */
  readonly to?: string;
  /** The keys pressed at each `<Gather>` in turn (`''`: none before the timeout); the caller hangs up when they run out. */
  readonly keys: readonly string[];
  /** @defaultValue SANDBOX_ACCOUNT_SID */
  readonly accountSid?: string;
  /** Signs the webhooks. @defaultValue SANDBOX_AUTH_TOKEN */
  readonly authToken?: string;
  /** @defaultValue 10000 */
  readonly timeoutMs?: number;
}

/** One webhook of a call: where it went, the key it carried (none for the first), and the TwiML that came back. */
export interface CallTurn {
  readonly url: string;
  readonly digits: string | null;
  readonly status: number;
  readonly twiml: string;
}


/** The parameters Twilio posts with every webhook of an inbound call (`CallStatus` ringing, as when it arrives). */
export function inboundCallParams(callSid: string, c: { from: string; to?: string; accountSid?: string }): Record<string, string> {
  return {
    CallSid: callSid,
    AccountSid: c.accountSid ?? SANDBOX_ACCOUNT_SID,
    From: c.from,
    To: c.to ?? SANDBOX_SENDER,
    Caller: c.from,
    Called: c.to ?? SANDBOX_SENDER,
    CallStatus: 'ringing',
    Direction: 'inbound',
    ApiVersion: '2010-04-01',
  };
}

/**
 * A scripted caller ringing the app's number, as Twilio posts it: the signed inbound-call webhook,
 * then each key to the `<Gather>`'s action, signed, until the keys run out or the TwiML gathers no
 * more. Resolves with every turn; throws `WEBHOOK_FAILED` only when a webhook gave no answer.
 *
 * @example
 * await placeInboundCall({ webhookUrl: 'http://127.0.0.1:8080/webhooks/twilio/voice/inbound', from: '+393331234567', keys: ['1'] });
 */
export async function placeInboundCall(c: InboundCall): Promise<{ callSid: string; turns: CallTurn[] }> {
  const callSid = newSid('CA');
  const base = inboundCallParams(callSid, c);
  const turns: CallTurn[] = [];
  const post = async (url: string, params: Record<string, string>, digits: string | null): Promise<CallTurn> => {
    const signature = twilioSignature(c.authToken ?? SANDBOX_AUTH_TOKEN, url, params);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(c.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new InvitoError('WEBHOOK_FAILED', `the voice webhook did not answer (${(e as Error).message})`, { cause: e });
    }
    const turn = { url, digits, status: response.status, twiml: await response.text() };
    turns.push(turn);
    return turn;
  };
  let turn = await post(c.webhookUrl, base, null);
  const keys = [...c.keys];
  while (keys.length > 0 && turn.status === 200) {
    const action = gatherAction(turn.twiml);
    if (action === null) break;
    const digits = keys.shift()!;
    turn = await post(action, { ...base, CallStatus: 'in-progress', Digits: digits }, digits);
  }
  return { callSid, turns };
}
