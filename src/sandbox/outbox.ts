/**
 * Everything the sandbox accepted, in arrival order: every message, call and email, duplicates
 * included, so that a test can count what one recipient received. Optionally each accepted
 * record is also appended to an NDJSON file, which survives a crashed or killed test process.
 */
import { type WriteStream, createWriteStream } from 'node:fs';

/** `read`: a WhatsApp message the citizen opened (after `delivered`); SMS never gets there. */
export type MessageStatus = 'accepted' | 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'read';
/** How a message travels: `whatsapp` when its `To` is `whatsapp:+E.164`. */
export type MessageChannel = 'sms' | 'whatsapp';
export type CallStatus = 'queued' | 'initiated' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'no-answer' | 'failed';

interface Recorded {
  /** Arrival order across all kinds, from 1; `?since=` takes the last one seen. */
  readonly seq: number;
  /** ISO time the sandbox accepted it. */
  readonly time: string;
}

/** An SMS or WhatsApp message accepted by `POST …/Messages.json`. */
export interface OutboxMessage extends Recorded {
  readonly kind: 'message';
  /** The message SID (`SM…`). */
  readonly id: string;
  /** As given: `+393331234567`, or `whatsapp:+393331234567`. */
  readonly to: string;
  /** The sender: `From`, or the number the Messaging Service picked (`null` until it has); `whatsapp:` for WhatsApp. */
  from: string | null;
  readonly messagingServiceSid: string | null;
  /** `Body`; `''` for a content message sent without one (the sandbox renders no templates). */
  readonly body: string;
  /** As billed: SMS segments (GSM-7 or UCS-2); always 1 for WhatsApp. */
  readonly numSegments: number;
  readonly statusCallback: string | null;
  /** Where it is now; the final status once its life is over. */
  status: MessageStatus;
  /** Set when the message ended `undelivered` or `failed`. */
  errorCode: number | null;
  /** ISO time of the last status change. */
  updated: string;
  /** ISO time it was handed to the network (`sent`), if it was. */
  sentAt: string | null;
  readonly channel: MessageChannel;
  /** `ContentSid` (`HX…`): a content template, a WhatsApp business-initiated message. */
  readonly contentSid: string | null;
  /** `ContentVariables`, parsed: `{"1": "Mario"}`; null when not given. */
  readonly contentVariables: Readonly<Record<string, string>> | null;
}

/** A voice call accepted by `POST …/Calls.json`. */
export interface OutboxCall extends Recorded {
  readonly kind: 'call';
  /** The call SID (`CA…`). */
  readonly id: string;
  readonly to: string;
  readonly from: string;
  /** The TwiML given with `Twiml`, or the TwiML fetched from `Url` when the call was answered. */
  twiml: string | null;
  readonly url: string | null;
  readonly statusCallback: string | null;
  readonly statusCallbackEvents: readonly string[];
  status: CallStatus;
  /** Seconds, once the call has ended (0 when never answered). */
  duration: number | null;
  /** ISO time of the last status change. */
  updated: string;
  /** ISO time it was answered, if it was. */
  startedAt: string | null;
  /** ISO time it ended, once it has. */
  endedAt: string | null;
  /** `MachineDetection` as given (`Enable`, `DetectMessageEnd`), or null. */
  readonly machineDetection?: string | null;
  /** The keys the scripted caller pressed (`''`: none before the timeout), in order. */
  keys?: string[];
}

/**
 * Who answers a call (a test's script, `SandboxOptions.callers`): a person or a machine
 * (`answeredBy`, as Twilio's detection names it), and the keys the person presses at each
 * `<Gather>` in turn (`''`: waits for the timeout). When the keys run out the caller hangs up.
 */
export interface Caller {
  readonly answeredBy?: 'human' | 'machine_start' | 'machine_end_beep' | 'fax' | 'unknown';
  readonly keys?: readonly string[];
}

/** An email accepted by the SMTP sink (for the recipients that were not bounced). */
export interface OutboxEmail extends Recorded {
  readonly kind: 'email';
  /** The sink's queue id, also in the `250 Ok: queued as …` reply. */
  readonly id: string;
  /** Envelope sender (MAIL FROM). */
  readonly from: string;
  /** Envelope recipients that were accepted (RCPT TO). */
  readonly to: readonly string[];
  readonly subject: string | null;
  readonly messageId: string | null;
  /** Header fields by lower-case name, encoded words decoded; repeated fields joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string | null;
  readonly html: string | null;
  readonly attachments: readonly { filename: string | null; contentType: string; size: number }[];
  /** The SMTP AUTH user name, when the client authenticated (any credentials are accepted). */
  readonly user: string | null;
  /** Size of the message as received, in bytes. */
  readonly size: number;
  readonly status: 'accepted';
}

export type OutboxRecord = OutboxMessage | OutboxCall | OutboxEmail;

/** What `GET /_sandbox/outbox` returns; `next` is the `since` that lists only what comes after. */
export interface OutboxSnapshot {
  messages: OutboxMessage[];
  calls: OutboxCall[];
  emails: OutboxEmail[];
  next: number;
}

/** Counts since the start (or the last reset): the cheap way to watch a benchmark. */
export interface SandboxStats {
  messages: { accepted: number; byStatus: Record<MessageStatus, number> };
  calls: { accepted: number; byStatus: Record<CallStatus, number> };
  emails: { accepted: number; recipients: number; bounced: number; deferred: number };
  /** Twilio API error responses by Twilio error code (`20429`, `21211`, …). */
  rejected: Record<string, number>;
  callbacks: { delivered: number; failed: number; retried: number; inFlight: number };
}

const messageStatuses = (): Record<MessageStatus, number> => ({ accepted: 0, queued: 0, sent: 0, delivered: 0, undelivered: 0, failed: 0, read: 0 });
const callStatuses = (): Record<CallStatus, number> => ({
  queued: 0,
  initiated: 0,
  ringing: 0,
  'in-progress': 0,
  completed: 0,
  busy: 0,
  'no-answer': 0,
  failed: 0,
});

/** How long accepted records may wait in memory before they are written to the NDJSON file. */
const LOG_FLUSH_MS = 20;
/** Write sooner when this much is waiting, so a burst does not hold a large string. */
const LOG_FLUSH_BYTES = 256 * 1024;

/**
 * The records and counts of one running sandbox. Records are kept in memory in arrival order
 * (one array per kind, so `since` is a bisection) and indexed by SID for fetches and status
 * changes; `reset` empties both.
 */
export class Outbox {
  private seq = 0;
  private messages: OutboxMessage[] = [];
  private calls: OutboxCall[] = [];
  private emails: OutboxEmail[] = [];
  private readonly bySid = new Map<string, OutboxMessage | OutboxCall>();
  private counts = Outbox.zeroCounts();
  private readonly log: NdjsonLog | null;

  /** @param logFile - an NDJSON file every accepted record is appended to, or nothing. */
  constructor(logFile?: string) {
    this.log = logFile ? new NdjsonLog(logFile) : null;
  }

  private static zeroCounts(): Omit<SandboxStats, 'callbacks'> {
    return {
      messages: { accepted: 0, byStatus: messageStatuses() },
      calls: { accepted: 0, byStatus: callStatuses() },
      emails: { accepted: 0, recipients: 0, bounced: 0, deferred: 0 },
      rejected: {},
    };
  }

  nextSeq(): number {
    return ++this.seq;
  }

  addMessage(m: OutboxMessage): void {
    this.messages.push(m);
    this.bySid.set(m.id, m);
    this.counts.messages.accepted++;
    this.counts.messages.byStatus[m.status]++;
    this.log?.write(m);
  }

  addCall(c: OutboxCall): void {
    this.calls.push(c);
    this.bySid.set(c.id, c);
    this.counts.calls.accepted++;
    this.counts.calls.byStatus[c.status]++;
    this.log?.write(c);
  }

  addEmail(e: OutboxEmail): void {
    this.emails.push(e);
    this.counts.emails.accepted++;
    this.counts.emails.recipients += e.to.length;
    this.log?.write(e);
  }

  /** Moves a message to `status`, keeping the status counts right. */
  setMessageStatus(m: OutboxMessage, status: MessageStatus, at: string): void {
    if (this.bySid.get(m.id) === m) {
      this.counts.messages.byStatus[m.status]--;
      this.counts.messages.byStatus[status]++;
    }
    m.status = status;
    m.updated = at;
  }

  /** Moves a call to `status`, keeping the status counts right. */
  setCallStatus(c: OutboxCall, status: CallStatus, at: string): void {
    if (this.bySid.get(c.id) === c) {
      this.counts.calls.byStatus[c.status]--;
      this.counts.calls.byStatus[status]++;
    }
    c.status = status;
    c.updated = at;
  }

  countRejected(code: number): void {
    const k = String(code);
    this.counts.rejected[k] = (this.counts.rejected[k] ?? 0) + 1;
  }

  countBounced(): void {
    this.counts.emails.bounced++;
  }

  countDeferred(): void {
    this.counts.emails.deferred++;
  }

  message(sid: string): OutboxMessage | undefined {
    const r = this.bySid.get(sid);
    return r?.kind === 'message' ? r : undefined;
  }

  call(sid: string): OutboxCall | undefined {
    const r = this.bySid.get(sid);
    return r?.kind === 'call' ? r : undefined;
  }

  /** Records accepted after `since` (a `seq`; 0 for everything), as copies. */
  list(since = 0): OutboxSnapshot {
    return {
      messages: after(this.messages, since).map((m) => ({ ...m, contentVariables: m.contentVariables && { ...m.contentVariables } })),
      calls: after(this.calls, since).map((c) => ({ ...c })),
      emails: after(this.emails, since),
      next: this.seq,
    };
  }

  stats(): Omit<SandboxStats, 'callbacks'> {
    return structuredClone(this.counts);
  }

  /**
   * Forgets every record and count. `seq` keeps growing, so a `since` taken before the reset
   * never lists something accepted after it twice.
   */
  reset(): void {
    this.messages = [];
    this.calls = [];
    this.emails = [];
    this.bySid.clear();
    this.counts = Outbox.zeroCounts();
  }

  async close(): Promise<void> {
    await this.log?.close();
  }
}

/** The records of an array sorted by `seq` that come after `since`, found by bisection. */
function after<T extends Recorded>(list: readonly T[], since: number): T[] {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq <= since) lo = mid + 1;
    else hi = mid;
  }
  return list.slice(lo);
}

/**
 * An append-only NDJSON file written in batches: a line per record would mean a write per
 * request, which the 2,000 messages/s benchmark cannot afford. At most LOG_FLUSH_MS of records
 * is lost if the sandbox process itself is killed; nothing is lost when a client is.
 */
class NdjsonLog {
  private readonly stream: WriteStream;
  private pending = '';
  private timer: NodeJS.Timeout | null = null;
  private failed: Error | null = null;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', (e) => {
      this.failed = e;
    });
  }

  write(record: OutboxRecord): void {
    if (this.failed) return;
    this.pending += JSON.stringify(record) + '\n';
    if (this.pending.length >= LOG_FLUSH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), LOG_FLUSH_MS);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending === '' || this.failed) return;
    this.stream.write(this.pending);
    this.pending = '';
  }

  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve) => this.stream.end(resolve));
    if (this.failed) throw this.failed;
  }
}
