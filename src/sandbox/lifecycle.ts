/**
 * What happens to a message or call after the API accepted it: its statuses, one step every
 * `callbackDelayMs`, each reported to its `StatusCallback` the way Twilio reports it. A step
 * waits for the previous step's callback to be answered (or given up), so one recipient's
 * callbacks always arrive in order; different messages proceed independently. WhatsApp messages
 * live the same life, plus `read` when the citizen opens one.
 */
import type { Logger } from 'pino';
import { WHATSAPP_PREFIX, parseAddress } from './addresses.js';
import type { Scheduler, WebhookPoster } from './callbacks.js';
import { rfc2822 } from './ids.js';
import { inShare, type KnobState } from './knobs.js';
import type { Caller, CallStatus, MessageStatus, Outbox, OutboxCall, OutboxMessage } from './outbox.js';
import { SANDBOX_SENDER } from './credentials.js';
import type { SandboxLine } from './line.js';
import { gatherAction } from './twiml.js';

export const API_VERSION = '2010-04-01';

/** Carrier errors a message ends `undelivered` with: unreachable handset, unknown handset, landline or unreachable carrier. */
const UNDELIVERED_CODES = [30003, 30005, 30006] as const;
/** A message to a landline (the `landlineShare` knob): "landline or unreachable carrier". */
const LANDLINE_CODE = 30006;
/** A message that ends `failed` never left Twilio: "unknown error". */
const FAILED_CODE = 30008;

/** Call statuses as the `StatusCallbackEvent` that reports them (Twilio's names differ). */
const EVENT_OF: Partial<Record<CallStatus, string>> = {
  initiated: 'initiated',
  ringing: 'ringing',
  'in-progress': 'answered',
  completed: 'completed',
  busy: 'completed',
  'no-answer': 'completed',
  failed: 'completed',
};

/** SIP answer codes Twilio adds to a call's last callback. */
const SIP_CODE: Partial<Record<CallStatus, string>> = { completed: '200', busy: '486', 'no-answer': '487', failed: '500' };

export interface LifecycleOptions {
  readonly accountSid: string;
  readonly knobs: KnobState;
  readonly outbox: Outbox;
  readonly scheduler: Scheduler;
  readonly poster: WebhookPoster;
  readonly logger: Logger;
  /** Who answers each call (by the number called); absent, a person who listens and hangs up. */
  readonly callers?: (to: string) => Caller | undefined;
  /** The queues an operator's leg dequeues from (`<Dial><Queue>`). */
  readonly line?: SandboxLine;
}

/** Rounds of `<Gather>` a scripted caller goes through at most (a menu that never ends is a bug). */
const MAX_GATHERS = 12;


/** Drives every accepted message and call to its final status, one scheduled step at a time. */
export class Lifecycle {
  private readonly o: LifecycleOptions;
  private active = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(o: LifecycleOptions) {
    this.o = o;
  }

  /** Messages and calls whose life is not over yet. */
  get pending(): number {
    return this.active;
  }

  /** Resolves once every accepted message and call has reached its final status and reported it. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Unblocks `idle()` callers when the sandbox closes with work still pending. */
  close(): void {
    this.active = 0;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /**
   * Starts a message on queued → sent → delivered (or undelivered, or straight to failed); a
   * WhatsApp message that was delivered may go on to `read` (the `readShare` knob).
   */
  startMessage(m: OutboxMessage): void {
    const k = this.o.knobs.now;
    const r = Math.random();
    const whatsapp = m.channel === 'whatsapp';
    let steps: MessageStatus[];
    let errorCode: number | null = null;
    // The number decides whether it is a landline, whatever the channel.
    if (inShare(parseAddress(m.to).number, k.landlineShare)) {
      // A landline: the carrier says so on delivery.
      steps = ['queued', 'sent', 'undelivered'];
      errorCode = LANDLINE_CODE;
    } else if (r < k.failedShare) {
      steps = ['queued', 'failed'];
      errorCode = FAILED_CODE;
    } else if (r < k.failedShare + k.undeliveredShare) {
      steps = ['queued', 'sent', 'undelivered'];
      errorCode = UNDELIVERED_CODES[Math.floor(Math.random() * UNDELIVERED_CODES.length)]!;
    } else {
      steps = ['queued', 'sent', 'delivered'];
      // The citizen opens it: WhatsApp's read receipt.
      if (whatsapp && Math.random() < k.readShare) steps.push('read');
    }
    this.active++;
    // `queued` is reported at once: the API answer already said so.
    this.o.scheduler.at(Date.now(), () => this.messageStep(m, steps, 0, errorCode));
  }

  private messageStep(m: OutboxMessage, steps: readonly MessageStatus[], i: number, errorCode: number | null): void {
    const status = steps[i]!;
    const now = new Date();
    const iso = now.toISOString();
    const last = i === steps.length - 1;
    const whatsapp = m.channel === 'whatsapp';
    // A Messaging Service picks its sender when it queues the message.
    if (m.from === null) m.from = whatsapp ? WHATSAPP_PREFIX + SANDBOX_SENDER : SANDBOX_SENDER;
    if (status === 'sent') m.sentAt = iso;
    if (last) m.errorCode = errorCode;
    if (m.status !== status) this.o.outbox.setMessageStatus(m, status, iso);
    const next = (): void => {
      if (last) return this.finish();
      this.o.scheduler.at(Date.now() + this.o.knobs.now.callbackDelayMs, () => this.messageStep(m, steps, i + 1, errorCode));
    };
    if (!m.statusCallback) return next();
    const params: Record<string, string> = {
      AccountSid: this.o.accountSid,
      ApiVersion: API_VERSION,
      From: m.from,
      To: m.to,
      MessageSid: m.id,
      SmsSid: m.id,
      MessageStatus: status,
      SmsStatus: status,
    };
    if (m.messagingServiceSid) params.MessagingServiceSid = m.messagingServiceSid;
    // WhatsApp callbacks name their channel; To and From keep their `whatsapp:` prefix.
    if (whatsapp) params.ChannelPrefix = 'whatsapp';
    if (last && errorCode !== null) params.ErrorCode = String(errorCode);
    // A carrier's delivery report date: SMS only, WhatsApp has no carrier.
    if (last && status !== 'failed' && !whatsapp) params.RawDlrDoneDate = dlrDate(now);
    void this.o.poster.post(m.statusCallback, params).then(next);
  }

  /**
   * Starts a call on initiated → ringing → in-progress → completed (or busy, no-answer, failed),
   * reporting the events named in `StatusCallbackEvent` (by default only the last, as Twilio).
   */
  startCall(c: OutboxCall): void {
    const k = this.o.knobs.now;
    const r = Math.random();
    let steps: CallStatus[];
    if (r < k.callFailedShare) steps = ['initiated', 'failed'];
    else if (r < k.callFailedShare + k.callBusyShare) steps = ['initiated', 'ringing', 'busy'];
    else if (r < k.callFailedShare + k.callBusyShare + k.callNoAnswerShare) steps = ['initiated', 'ringing', 'no-answer'];
    else steps = ['initiated', 'ringing', 'in-progress', 'completed'];
    this.active++;
    this.o.scheduler.at(Date.now() + k.callbackDelayMs, () => this.callStep(c, steps, 0, { sequence: 0 }));
  }

  private callStep(c: OutboxCall, steps: readonly CallStatus[], i: number, seq: { sequence: number }): void {
    const status = steps[i]!;
    const now = new Date();
    const iso = now.toISOString();
    const last = i === steps.length - 1;
    if (status === 'in-progress') c.startedAt = iso;
    if (last) {
      c.endedAt = iso;
      // Durations are simulated (20–60 s): a test does not wait a minute for a call to end.
      c.duration = status === 'completed' ? 20 + Math.floor(Math.random() * 41) : 0;
    }
    this.o.outbox.setCallStatus(c, status, iso);
    const base: Record<string, string> = {
      AccountSid: this.o.accountSid,
      ApiVersion: API_VERSION,
      CallSid: c.id,
      CallStatus: status,
      Called: c.to,
      Caller: c.from,
      To: c.to,
      From: c.from,
      Direction: 'outbound-api',
    };
    const next = (): void => {
      if (last) return this.finish();
      this.o.scheduler.at(Date.now() + this.o.knobs.now.callbackDelayMs, () => this.callStep(c, steps, i + 1, seq));
    };
    const report = (): void => {
      const event = EVENT_OF[status];
      if (!c.statusCallback || !event || !c.statusCallbackEvents.includes(event)) return next();
      const params: Record<string, string> = {
        ...base,
        Timestamp: rfc2822(now),
        CallbackSource: 'call-progress-events',
        SequenceNumber: String(seq.sequence++),
      };
      if (last) {
        params.CallDuration = String(c.duration ?? 0);
        params.Duration = String(Math.ceil((c.duration ?? 0) / 60));
        params.SipResponseCode = SIP_CODE[status] ?? '500';
      }
      void this.o.poster.post(c.statusCallback, params).then(next);
    };
    // Answered: Twilio asks the voice URL what to say, as the citizen picks up; a scripted
    // caller then presses keys at each <Gather>, and the call ends when they run out.
    if (status === 'in-progress' && c.url) {
      const caller = this.o.callers?.(c.to);
      const answered = c.machineDetection ? { ...base, AnsweredBy: caller?.answeredBy ?? 'human' } : base;
      void this.o.poster.post(c.url, answered).then(async (answer) => {
        if (answer.ok) c.twiml = answer.body;
        else this.o.logger.info({ callSid: c.id, status: answer.status }, 'voice URL gave no TwiML');
        // An operator's leg taking the head of a queue: bridged to that caller, then over.
        if (answer.ok && this.o.line && (await this.o.line.dialQueue(answer.body, base))) return report();
        const keys = [...(caller?.keys ?? [])];
        let twiml = answer.ok ? answer.body : '';
        for (let round = 0; round < MAX_GATHERS && keys.length > 0; round++) {
          const action = gatherAction(twiml);
          if (action === null) break;
          const digits = keys.shift()!;
          (c.keys ??= []).push(digits);
          const r = await this.o.poster.post(action, { ...base, Digits: digits, FinishedOnKey: '' });
          if (!r.ok) break;
          twiml = r.body;
          c.twiml = r.body;
        }
        report();
      });
      return;
    }
    report();
  }

  private finish(): void {
    if (this.active === 0) return;
    this.active--;
    if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** `RawDlrDoneDate`: when the carrier's delivery report says it was done, `YYMMDDhhmm` UTC. */
function dlrDate(d: Date): string {
  return d.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d).*$/, '$1$2$3$4$5');
}
