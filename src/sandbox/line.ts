/**
 * The sandbox's call queues: a scripted caller rings the app's number (`ring`), follows its
 * TwiML — keys at each `<Gather>`, then, at an `<Enqueue>`, waits in the named queue, asking the
 * wait URL again after each `<Pause>` (its length is the simulated time that passes) — until an
 * operator's leg dequeues them with `<Dial><Queue>`, the wait URL says `<Leave/>`, or the
 * caller hangs up. Every request is signed as Twilio signs it, with Twilio's parameters
 * (`QueueTime`, `QueuePosition`, `QueueResult`, `DequeingCallSid`, `DialCallStatus`).
 *
 * Time in a queue is simulated: each wait round is `roundMs` of real time and the pause's length
 * of queue time, so a five-minute wait plays in a fraction of a second.
 */
import type { Logger } from 'pino';
import type { WebhookPoster } from './callbacks.js';
import { newSid } from './ids.js';
import { type CallTurn, inboundCallParams } from './inbound.js';
import { dialQueueOf, enqueueOf, gatherAction, leaves, pauseSeconds } from './twiml.js';

/** A caller ringing the line through the sandbox. */
export interface LineCaller {
  /** The app's voice webhook for calls to its number. */
  readonly webhookUrl: string;
  readonly from: string;
  /** @defaultValue SANDBOX_SENDER */
  readonly to?: string;
  /** Keys at each `<Gather>` in turn (`''`: none); the caller hangs up when they run out outside a queue. */
  readonly keys: readonly string[];
  /** Hangs up after waiting this many (simulated) seconds in a queue. */
  readonly hangUpAfterS?: number;
}

/** How a call left its queue, if it was in one. */
export interface QueueOutcome {
  readonly queue: string;
  /** `bridged` (an operator took it), `leave` (the wait URL said so), `hangup` (the caller gave up). */
  readonly result: 'bridged' | 'leave' | 'hangup';
  /** Simulated seconds in the queue. */
  readonly queueTimeS: number;
  /** The operator's leg that dequeued it. */
  readonly operatorLeg: string | null;
}

export interface RingResult {
  readonly callSid: string;
  readonly turns: CallTurn[];
  readonly queue: QueueOutcome | null;
}

interface Waiter {
  readonly callSid: string;
  readonly queue: string;
  queueTimeS: number;
  leg: string | null;
  /** Resolves when an operator's leg dequeues the caller. */
  readonly dequeued: Promise<void>;
  dequeue(leg: string): void;
  /** Resolves when the caller's side of the bridge has reported (the `<Enqueue>` action). */
  readonly reported: Promise<void>;
  report(): void;
}

/** Queue SIDs by name, stable for the sandbox's life. */
const queueSid = (name: string): string => 'QU' + Buffer.from(name).toString('hex').padEnd(32, '0').slice(0, 32);

export class SandboxLine {
  private readonly queues = new Map<string, Waiter[]>();
  private closed = false;

  constructor(private readonly o: { accountSid: string; poster: WebhookPoster; logger: Logger; roundMs: () => number }) {}

  close(): void {
    this.closed = true;
    for (const q of this.queues.values()) for (const w of q.splice(0)) w.dequeue('');
  }

  /** Callers waiting in `queue` now, head first. */
  waiting(queue: string): string[] {
    return (this.queues.get(queue) ?? []).map((w) => w.callSid);
  }

  /** Rings the app's number as `c.from` and plays the call to its end (see the module's comment). */
  async ring(c: LineCaller): Promise<RingResult> {
    const callSid = newSid('CA');
    const base = inboundCallParams(callSid, { ...c, accountSid: this.o.accountSid });
    const turns: CallTurn[] = [];
    const post = async (url: string, params: Record<string, string>, digits: string | null): Promise<CallTurn> => {
      const r = await this.o.poster.post(url, params);
      const turn = { url, digits, status: r.status ?? 0, twiml: r.body };
      turns.push(turn);
      return turn;
    };
    const keys = [...c.keys];
    let queue: QueueOutcome | null = null;
    let turn = await post(c.webhookUrl, base, null);
    base.CallStatus = 'in-progress';
    for (let round = 0; round < 50 && turn.status === 200 && !this.closed; round++) {
      const action = gatherAction(turn.twiml);
      if (action !== null) {
        if (keys.length === 0) break;
        const digits = keys.shift()!;
        turn = await post(action, { ...base, Digits: digits }, digits);
        continue;
      }
      const enq = enqueueOf(turn.twiml);
      if (!enq) break;
      const outcome = await this.wait(callSid, enq.queue, enq.waitUrl, base, c.hangUpAfterS, post);
      queue = outcome.outcome;
      const left = enq.action ? await post(enq.action, { ...base, QueueResult: outcome.outcome.result, QueueSid: queueSid(enq.queue), QueueTime: String(outcome.outcome.queueTimeS) }, null) : null;
      outcome.reported();
      // After a bridge or a hang-up the call is over; after `<Leave/>` the TwiML goes on (a callback offer).
      if (!left || outcome.outcome.result !== 'leave') break;
      turn = left;
    }
    return { callSid, turns, queue };
  }

  private async wait(
    callSid: string,
    queue: string,
    waitUrl: string | null,
    base: Readonly<Record<string, string>>,
    hangUpAfterS: number | undefined,
    post: (url: string, params: Record<string, string>, digits: string | null) => Promise<CallTurn>,
  ): Promise<{ outcome: QueueOutcome; reported: () => void }> {
    let dequeue!: () => void;
    let report!: () => void;
    const w: Waiter = {
      callSid,
      queue,
      queueTimeS: 0,
      leg: null,
      dequeued: new Promise<void>((r) => (dequeue = r)),
      dequeue: (leg) => {
        w.leg = leg;
        dequeue();
      },
      reported: new Promise<void>((r) => (report = r)),
      report: () => report(),
    };
    const list = this.queues.get(queue) ?? [];
    list.push(w);
    this.queues.set(queue, list);
    const remove = () => {
      const l = this.queues.get(queue) ?? [];
      const i = l.indexOf(w);
      if (i >= 0) l.splice(i, 1);
    };
    const done = (result: QueueOutcome['result']) => ({ outcome: { queue, result, queueTimeS: w.queueTimeS, operatorLeg: w.leg }, reported: () => w.report() });
    for (;;) {
      if (w.leg !== null) return done('bridged');
      if (this.closed) return done('hangup');
      let pause = 20;
      if (waitUrl) {
        const list = this.queues.get(queue) ?? [];
        const position = list.indexOf(w) + 1;
        const t = await post(waitUrl, { ...base, QueueSid: queueSid(queue), QueuePosition: String(position), QueueTime: String(w.queueTimeS), CurrentQueueSize: String(list.length), AvgQueueTime: String(w.queueTimeS) }, null);
        if (w.leg !== null) return done('bridged');
        if (leaves(t.twiml)) {
          remove();
          return done('leave');
        }
        pause = pauseSeconds(t.twiml) ?? pause;
      }
      if (hangUpAfterS !== undefined && w.queueTimeS >= hangUpAfterS) {
        remove();
        return done('hangup');
      }
      await Promise.race([w.dequeued, new Promise((r) => setTimeout(r, this.o.roundMs()))]);
      if (w.leg !== null) return done('bridged');
      w.queueTimeS += pause;
    }
  }

  /**
   * An operator's leg answered with `<Dial><Queue>`: the head of the queue is bridged to it (the
   * `<Queue url>` asked first, for the caller), the two talk, and the Dial's action reports it.
   * An empty queue ends the Dial at once (`no-answer`; Twilio would wait up to the Dial's timeout).
   */
  async dialQueue(twiml: string, leg: Readonly<Record<string, string>>): Promise<boolean> {
    const d = dialQueueOf(twiml);
    if (!d) return false;
    const legSid = leg.CallSid ?? '';
    const list = this.queues.get(d.queue) ?? [];
    const w = list.shift();
    if (!w) {
      this.o.logger.info({ leg: legSid, queue: d.queue }, 'dial queue: nobody waiting');
      if (d.action) await this.o.poster.post(d.action, { ...leg, DialCallStatus: 'no-answer', DialCallDuration: '0' });
      return true;
    }
    if (d.url) await this.o.poster.post(d.url, { ...leg, CallSid: w.callSid, QueueSid: queueSid(d.queue), QueueTime: String(w.queueTimeS), DequeingCallSid: legSid });
    w.dequeue(legSid);
    await w.reported;
    this.o.logger.info({ leg: legSid, caller: w.callSid, queue: d.queue }, 'dial queue: caller bridged');
    if (d.action) await this.o.poster.post(d.action, { ...leg, DialCallStatus: 'completed', DialCallSid: w.callSid, DialCallDuration: '30', QueueSid: queueSid(d.queue) });
    return true;
  }
}
