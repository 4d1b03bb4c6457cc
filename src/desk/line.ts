/**
 * Automatic call distribution for the free-phone line (issue 14, item 3). Callers who want an
 * operator wait in a queue per language (`<Enqueue>`, feedback/ivr.ts); operators who take
 * inbound calls have a phone on their account and say "ready for inbound" in the console. Each
 * time a caller starts waiting, an operator becomes ready, or an operator's call ends, the line
 * pairs the oldest waiting caller of a language with the ready operator who speaks it and has
 * been idle longest — one transaction claims both, so a caller goes to one operator and an
 * operator takes one caller — and dials the operator (the Calls API) with TwiML that takes the
 * head of that queue (`<Dial><Queue>`). An operator who does not pick up is no longer ready
 * and the caller waits for the next one.
 *
 * When the two are bridged, an identified caller gets a call task leased to the operator, so
 * the operator's screen is the outbound call's: the citizen's card, the script, the
 * dispositions. A caller nobody identified is shown as such.
 *
 * The supervisor's view: per queue, calls waiting and the longest wait, operators ready (and
 * on a call), and per hour the service level — the share of the calls that entered the queue
 * in that hour which an operator answered within 60 seconds.
 */
import { InvitoError } from '../core/errors.js';

/** An answer within this many seconds counts towards the service level. */
export const SERVICE_LEVEL_SECONDS = 60;
/** How long an inbound call's task stays leased to the operator who took it. */
export const LINE_TASK_LEASE_MINUTES = 30;

/** A call in one of the line's queues, as the store keeps it. */
export interface LineCall {
  readonly callSid: string;
  readonly language: string;
  readonly citizenId: string | null;
  readonly messageId: string | null;
  readonly state: 'waiting' | 'connecting' | 'connected' | 'ended' | 'left';
  readonly enqueuedAt: string;
  readonly operatorId: string | null;
  readonly taskId: string | null;
  readonly answeredAt: string | null;
  readonly endedAt: string | null;
  readonly result: string | null;
}

/** An operator as the line sees one. */
export interface LineOperator {
  readonly operatorId: string;
  readonly languages: readonly string[];
  readonly phone: string | null;
  readonly ready: boolean;
  readonly idleSince: string | null;
  /** The line call they are on (connecting or connected), or null. */
  readonly onCall: string | null;
  readonly disabled: boolean;
}

/** What the line needs from the store (src/store/line.ts, both dialects). */
export interface LineStore {
  /** Records a caller waiting (idempotent by CallSid: Twilio asks the wait URL again and again). */
  enqueue(c: { callSid: string; language: string; citizenId: string | null; messageId: string | null; at: string }): Promise<void>;
  /**
   * In one transaction: the oldest waiting caller of `language` and the ready, free, enabled
   * operator with a phone who speaks it and has been idle longest; both claimed (the call
   * `connecting` to the operator, the operator on it). Null when either is missing.
   */
  claimPair(language: string, at: string): Promise<{ call: LineCall; operator: LineOperator } | null>;
  /** Notes the operator's leg of a claimed call. */
  setOperatorLeg(callSid: string, legSid: string, at: string): Promise<void>;
  /**
   * The caller `callSid` was bridged to `operatorId` (who may have dialled for another caller:
   * Twilio takes the head of the queue): connected, answered now; a different claimed call goes
   * back to waiting. Returns the call as it now is.
   */
  bridged(callSid: string, operatorId: string, at: string): Promise<LineCall | null>;
  /** The call task an identified caller's call is recorded on, leased to the operator. */
  leaseLineTask(t: { taskId: string; callSid: string; messageId: string; operatorId: string; language: string; at: string; leaseUntil: string }): Promise<boolean>;
  /** The caller left the queue without an operator (`leave`, `hangup`…): left, unless already connected. */
  left(callSid: string, result: string, at: string): Promise<void>;
  /**
   * The operator's leg ended: the operator is free again (idle from `at`), a connected call
   * ended; when the leg was never answered (`missed`), the operator is no longer ready and a
   * call still connecting to them waits again.
   */
  legEnded(operatorId: string, at: string, missed: boolean): Promise<void>;
  setReady(operatorId: string, ready: boolean, at: string): Promise<void>;
  setPhone(operatorId: string, phone: string | null): Promise<boolean>;
  lineOperator(operatorId: string): Promise<LineOperator | null>;
  lineOperators(): Promise<LineOperator[]>;
  lineCall(callSid: string): Promise<LineCall | null>;
  /** Calls waiting now, and every call that entered a queue since `since`. */
  lineCalls(since: string): Promise<LineCall[]>;
}

/** Dials an operator's phone: a call whose TwiML (`url`) takes the head of a queue. Returns the leg's CallSid. */
export interface Dialer {
  dial(d: { to: string; url: string; statusCallback: string }): Promise<string>;
}

/** Where the operator's leg asks for its TwiML and reports its end (feedback/voice-webhooks.ts). */
export interface LegUrls {
  /** TwiML of the operator's leg: `<Dial><Queue>` of `language`'s queue. */
  agent(q: { callSid: string; operatorId: string; language: string }): string;
  /** The leg's status callback (no answer, busy, failed). */
  status(q: { callSid: string; operatorId: string }): string;
}

export interface LineOptions {
  readonly store: LineStore;
  /** Absent (no Twilio settings): callers wait and are offered callbacks, nobody is dialled. */
  readonly dialer?: Dialer;
  readonly urls: LegUrls;
  readonly now?: () => Date;
  readonly log?: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
}

/** One queue as the supervisor sees it. */
export interface QueueView {
  readonly language: string;
  readonly waiting: number;
  /** Seconds the longest-waiting caller has waited (0: nobody waits). */
  readonly longestWaitS: number;
  readonly ready: number;
  /** Ready operators who are on a call. */
  readonly onCall: number;
}

/** One hour of the line. */
export interface HourLevel {
  /** The hour's start (ISO, UTC). */
  readonly hour: string;
  /** Calls that entered a queue in the hour. */
  readonly offered: number;
  /** Of them, answered by an operator within `SERVICE_LEVEL_SECONDS`. */
  readonly answeredInTime: number;
  readonly answered: number;
  /** answeredInTime / offered, or null for an hour without calls. */
  readonly serviceLevel: number | null;
}

export interface LineView {
  readonly queues: readonly QueueView[];
  readonly hours: readonly HourLevel[];
}

/** The task an identified inbound call is recorded on. */
export const lineTaskId = (callSid: string): string => `line-${callSid}`;

const seconds = (from: string, to: string): number => Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));

/**
 * The service level per hour of `calls` (those that entered a queue since the first hour):
 * the share answered within `SERVICE_LEVEL_SECONDS`, counted in the hour the caller started
 * waiting. A caller still waiting past the threshold counts as not answered in time.
 */
export function serviceLevels(calls: readonly LineCall[]): HourLevel[] {
  const byHour = new Map<string, { offered: number; inTime: number; answered: number }>();
  for (const c of calls) {
    const hour = new Date(Math.floor(Date.parse(c.enqueuedAt) / 3_600_000) * 3_600_000).toISOString();
    const h = byHour.get(hour) ?? { offered: 0, inTime: 0, answered: 0 };
    h.offered++;
    if (c.answeredAt) {
      h.answered++;
      if (seconds(c.enqueuedAt, c.answeredAt) <= SERVICE_LEVEL_SECONDS) h.inTime++;
    }
    byHour.set(hour, h);
  }
  return [...byHour.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([hour, h]) => ({ hour, offered: h.offered, answeredInTime: h.inTime, answered: h.answered, serviceLevel: h.offered ? h.inTime / h.offered : null }));
}

export class Line {
  private readonly now: () => Date;
  constructor(private readonly o: LineOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /** A caller is waiting in `language`'s queue (the wait URL): recorded once, then the queue is served. */
  async waiting(c: { callSid: string; language: string; citizenId: string | null; messageId: string | null }): Promise<void> {
    await this.o.store.enqueue({ ...c, at: this.now().toISOString() });
    await this.distribute(c.language);
  }

  /** The caller left the queue (the `<Enqueue>` action): `bridged` changes nothing here (the bridge URL said so). */
  async leftQueue(callSid: string, result: string): Promise<void> {
    if (result === 'bridged' || result === 'bridging-in-process') return;
    await this.o.store.left(callSid, result, this.now().toISOString());
  }

  /**
   * Pairs waiting callers of `language` with ready operators, longest idle first, and dials each
   * operator; until one side runs out. A dial that fails frees the operator (not ready) and puts
   * the caller back.
   */
  async distribute(language: string): Promise<number> {
    if (!this.o.dialer) return 0;
    let dialled = 0;
    for (;;) {
      const at = this.now().toISOString();
      const pair = await this.o.store.claimPair(language, at);
      if (!pair) return dialled;
      const { call, operator } = pair;
      try {
        const leg = await this.o.dialer.dial({
          to: operator.phone!,
          url: this.o.urls.agent({ callSid: call.callSid, operatorId: operator.operatorId, language }),
          statusCallback: this.o.urls.status({ callSid: call.callSid, operatorId: operator.operatorId }),
        });
        await this.o.store.setOperatorLeg(call.callSid, leg, at);
        this.o.log?.info({ callSid: call.callSid, operatorId: operator.operatorId, leg }, 'operator dialled for a waiting caller');
        dialled++;
      } catch (e) {
        this.o.log?.warn({ callSid: call.callSid, operatorId: operator.operatorId, err: (e as Error).message }, 'dialling the operator failed: not ready, caller waits');
        await this.o.store.legEnded(operator.operatorId, at, true);
      }
    }
  }

  /** Serves every queue the operator speaks (they became ready, or free). */
  private async serve(operatorId: string): Promise<void> {
    const op = await this.o.store.lineOperator(operatorId);
    for (const language of op?.languages ?? []) await this.distribute(language);
  }

  /**
   * Twilio dequeued `callSid` for the operator's leg: connected; an identified caller's call
   * becomes a call task leased to the operator (its card, script and dispositions).
   */
  async bridged(callSid: string, operatorId: string): Promise<LineCall | null> {
    const now = this.now();
    const at = now.toISOString();
    const call = await this.o.store.bridged(callSid, operatorId, at);
    if (call?.messageId && call.citizenId) {
      await this.o.store.leaseLineTask({
        taskId: lineTaskId(callSid),
        callSid,
        messageId: call.messageId,
        operatorId,
        language: call.language,
        at,
        leaseUntil: new Date(now.getTime() + LINE_TASK_LEASE_MINUTES * 60_000).toISOString(),
      });
    }
    this.o.log?.info({ callSid, operatorId, identified: !!call?.citizenId }, 'caller connected to an operator');
    return this.o.store.lineCall(callSid);
  }

  /** The operator's leg ended (`missed`: never answered, busy, failed): free again, or no longer ready; the queues are served. */
  async legEnded(operatorId: string, missed: boolean): Promise<void> {
    await this.o.store.legEnded(operatorId, this.now().toISOString(), missed);
    this.o.log?.info({ operatorId, missed }, missed ? 'operator did not answer: no longer ready' : 'operator free');
    await this.serve(operatorId);
  }

  /**
   * "Ready for inbound" (or not): only an operator with a phone on their account; becoming
   * ready serves the queues of their languages at once.
   * @throws InvitoError OPERATOR_NOT_FOUND, OPERATOR_DISABLED, OPERATOR_NO_PHONE
   */
  async setReady(operatorId: string, ready: boolean): Promise<LineOperator> {
    const op = await this.o.store.lineOperator(operatorId);
    if (!op) throw new InvitoError('OPERATOR_NOT_FOUND', `no operator ${operatorId}`);
    if (op.disabled) throw new InvitoError('OPERATOR_DISABLED', `operator ${operatorId} is disabled`);
    if (ready && !op.phone) throw new InvitoError('OPERATOR_NO_PHONE', `operator ${operatorId} has no phone for inbound calls: a supervisor sets one with \`invito operators phone ${operatorId} +39…\``);
    await this.o.store.setReady(operatorId, ready, this.now().toISOString());
    this.o.log?.info({ operatorId, ready }, ready ? 'ready for inbound' : 'not taking inbound calls');
    if (ready) await this.serve(operatorId);
    return (await this.o.store.lineOperator(operatorId))!;
  }

  /** The operator's state on the line, and the call they are on. */
  async operatorView(operatorId: string): Promise<{ operator: LineOperator | null; call: LineCall | null }> {
    const operator = await this.o.store.lineOperator(operatorId);
    const call = operator?.onCall ? await this.o.store.lineCall(operator.onCall) : null;
    return { operator, call };
  }

  lineCall(callSid: string): Promise<LineCall | null> {
    return this.o.store.lineCall(callSid);
  }

  operators(): Promise<LineOperator[]> {
    return this.o.store.lineOperators();
  }

  /**
   * Sets or clears the phone an operator's inbound calls ring (E.164, checked by the caller).
   * @throws InvitoError OPERATOR_NOT_FOUND
   */
  async setPhone(operatorId: string, phone: string | null): Promise<void> {
    if (!(await this.o.store.setPhone(operatorId, phone))) throw new InvitoError('OPERATOR_NOT_FOUND', `no operator ${operatorId}`);
    if (!phone) await this.o.store.setReady(operatorId, false, this.now().toISOString());
  }

  /** The supervisor's view: each queue now, and the service level of the last `hours` hours. */
  async view(hours = 12): Promise<LineView> {
    const now = this.now();
    const since = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000 - (hours - 1) * 3_600_000).toISOString();
    const [calls, operators] = await Promise.all([this.o.store.lineCalls(since), this.o.store.lineOperators()]);
    const languages = new Set<string>([...calls.map((c) => c.language), ...operators.filter((o) => o.ready).flatMap((o) => o.languages)]);
    const at = now.toISOString();
    const queues = [...languages].sort().map((language) => {
      const waiting = calls.filter((c) => c.language === language && (c.state === 'waiting' || c.state === 'connecting'));
      const ready = operators.filter((o) => o.ready && !o.disabled && o.languages.includes(language));
      return {
        language,
        waiting: waiting.length,
        longestWaitS: waiting.reduce((m, c) => Math.max(m, seconds(c.enqueuedAt, at)), 0),
        ready: ready.length,
        onCall: ready.filter((o) => o.onCall !== null).length,
      };
    });
    return { queues, hours: serviceLevels(calls.filter((c) => c.enqueuedAt >= since)) };
  }
}
