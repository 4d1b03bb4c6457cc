/**
 * Simulated inbound SMS: what Twilio posts to a number's messaging webhook when a citizen
 * replies (STOP, SI, NO…), signed like every Twilio webhook.
 */
import { InvitoError } from '../core/errors.js';
import { SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, SANDBOX_SENDER } from './credentials.js';
import { newSid } from './ids.js';
import { countSegments } from './segments.js';
import { twilioSignature } from './signature.js';

export interface InboundMessage {
  /** The app's inbound-message webhook. */
  readonly webhookUrl: string;
  /** The citizen's number. */
  readonly from: string;
  /** The number the citizen wrote to. @defaultValue SANDBOX_SENDER */
  readonly to?: string;
  readonly body: string;
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
 * the webhook's answer whatever its status; throws `WEBHOOK_FAILED` only when no answer came.
 *
 * @example
 * await sendInboundMessage({ webhookUrl: 'http://127.0.0.1:3000/twilio/inbound', from: '+393331234567', body: 'STOP' });
 */
export async function sendInboundMessage(m: InboundMessage): Promise<InboundResult> {
  const sid = newSid('SM');
  const params: Record<string, string> = {
    MessageSid: sid,
    SmsMessageSid: sid,
    SmsSid: sid,
    AccountSid: m.accountSid ?? SANDBOX_ACCOUNT_SID,
    From: m.from,
    To: m.to ?? SANDBOX_SENDER,
    Body: m.body,
    NumMedia: '0',
    NumSegments: String(countSegments(m.body)),
    SmsStatus: 'received',
    ApiVersion: '2010-04-01',
  };
  if (m.messagingServiceSid) params.MessagingServiceSid = m.messagingServiceSid;
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
