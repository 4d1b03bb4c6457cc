/**
 * The sandbox's outgoing side: one timer for every delayed step (a heap, not a timer per
 * message: 100,000 messages make 300,000 steps) and a poster that sends signed webhooks with a
 * bounded number in flight, retrying connection errors and 5xx answers without ever making an
 * API response wait.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { twilioSignature } from './signature.js';

interface Task {
  readonly due: number;
  readonly order: number;
  readonly run: () => void;
}

/** Runs functions at given times from one timer; tasks due at the same time run in the order given. */
export class Scheduler {
  private readonly heap: Task[] = [];
  private order = 0;
  private timer: NodeJS.Timeout | null = null;
  private armedFor = Infinity;
  private closed = false;

  /** Runs `run` at `due` (a `Date.now()` time), or at the next turn if that is past. */
  at(due: number, run: () => void): void {
    if (this.closed) return;
    this.push({ due, order: this.order++, run });
    if (due < this.armedFor) this.arm();
  }

  get size(): number {
    return this.heap.length;
  }

  /** Drops every pending task; later `at` calls are ignored. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.heap.length = 0;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    const top = this.heap[0];
    if (!top) {
      this.timer = null;
      this.armedFor = Infinity;
      return;
    }
    this.armedFor = top.due;
    this.timer = setTimeout(() => this.fire(), Math.max(0, top.due - Date.now()));
  }

  private fire(): void {
    this.timer = null;
    this.armedFor = Infinity;
    const now = Date.now();
    // Tasks scheduled by a running task for "now" wait for the next turn, so a zero delay
    // cannot starve the event loop (and the API) with an endless chain.
    let budget = this.heap.length;
    while (budget-- > 0 && this.heap[0] && this.heap[0].due <= now) {
      const task = this.pop()!;
      try {
        task.run();
      } catch {
        // a step's failure is its own business (it counts it); the timer must keep going
      }
    }
    if (!this.closed) this.arm();
  }

  private push(t: Task): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Task | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

const before = (a: Task, b: Task): boolean => a.due < b.due || (a.due === b.due && a.order < b.order);

/** How a webhook ended: `ok` for a 2xx answer, with the answer's body (the TwiML of a voice URL). */
export interface WebhookResult {
  readonly ok: boolean;
  /** The last HTTP status, or null when no answer came (connection refused, timeout). */
  readonly status: number | null;
  readonly body: string;
}

/** Webhooks in flight at once; the rest wait their turn (a slow app must not get 10,000 sockets). */
const CONCURRENCY = 64;
/** Retries after a connection error, a timeout or a 5xx, waiting RETRY_BASE_MS, then twice that, … */
const RETRIES = 3;
const RETRY_BASE_MS = 100;
/** Per attempt; Twilio itself waits 15 s, but a test should not. */
const TIMEOUT_MS = 10_000;

/** Counts of the poster's work, reported in `/_sandbox/stats`. */
export interface PosterCounts {
  delivered: number;
  failed: number;
  retried: number;
  inFlight: number;
}

/** A body larger than this is cut: a TwiML document or a webhook's answer is a few kB. */
const MAX_ANSWER_BYTES = 1024 * 1024;

interface Job {
  readonly url: URL;
  readonly signedUrl: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  attempt: number;
  readonly done: (r: WebhookResult) => void;
}

/** Sends signed, form-encoded POSTs the way Twilio sends its webhooks. */
export class WebhookPoster {
  private readonly authToken: string;
  private readonly scheduler: Scheduler;
  private readonly waiting: Job[] = [];
  private readonly requests = new Set<http.ClientRequest>();
  // Keep-alive: at thousands of callbacks a second, a connection per callback would exhaust
  // ephemeral ports and double the cost of each one.
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });
  private closed = false;
  readonly counts: PosterCounts = { delivered: 0, failed: 0, retried: 0, inFlight: 0 };

  /**
   * @param authToken - signs every webhook (`X-Twilio-Signature`)
   * @param scheduler - where retries wait
   */
  constructor(authToken: string, scheduler: Scheduler) {
    this.authToken = authToken;
    this.scheduler = scheduler;
  }

  /**
   * POSTs `params` to `url`, signed over `url` exactly as given (Twilio signs the URL it was
   * configured with, not a normalised one). Never rejects: the result says how it ended.
   */
  post(url: string, params: Readonly<Record<string, string>>): Promise<WebhookResult> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      this.counts.failed++;
      return Promise.resolve({ ok: false, status: null, body: '' });
    }
    return new Promise((done) => {
      const job: Job = {
        url: parsed,
        signedUrl: url,
        body: new URLSearchParams(params).toString(),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilioSignature(this.authToken, url, params),
          // Twilio's header for recognising a retried webhook: the same token on every attempt.
          'i-twilio-idempotency-token': randomUUID(),
          'user-agent': 'TwilioProxy/1.1',
          accept: '*/*',
        },
        attempt: 0,
        done,
      };
      this.enqueue(job);
    });
  }

  /** Aborts what is in flight and drops what waits (each ends as not ok). */
  close(): void {
    this.closed = true;
    for (const j of this.waiting.splice(0)) j.done({ ok: false, status: null, body: '' });
    for (const r of this.requests) r.destroy(new Error('sandbox closing'));
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private enqueue(job: Job): void {
    if (this.closed) return job.done({ ok: false, status: null, body: '' });
    if (this.counts.inFlight < CONCURRENCY) this.send(job);
    else this.waiting.push(job);
  }

  private send(job: Job): void {
    this.counts.inFlight++;
    this.attempt(job).then(
      (answer) => this.settle(job, answer.status, answer.body),
      () => this.settle(job, null, ''),
    );
  }

  private settle(job: Job, status: number | null, body: string): void {
    this.counts.inFlight--;
    const next = this.waiting.shift();
    if (next) this.send(next);
    const ok = status !== null && status >= 200 && status < 300;
    const retryable = status === null || status >= 500;
    if (!ok && retryable && job.attempt < RETRIES && !this.closed) {
      this.counts.retried++;
      const delay = RETRY_BASE_MS * 2 ** job.attempt;
      job.attempt++;
      this.scheduler.at(Date.now() + delay, () => this.enqueue(job));
      return;
    }
    if (ok) this.counts.delivered++;
    else this.counts.failed++;
    job.done({ ok, status, body });
  }

  private attempt(job: Job): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const secure = job.url.protocol === 'https:';
      const request = secure ? https.request : http.request;
      const req = request(
        job.url,
        {
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: { ...job.headers, 'content-length': String(Buffer.byteLength(job.body)) },
          timeout: TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= MAX_ANSWER_BYTES) chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      this.requests.add(req);
      req.on('close', () => this.requests.delete(req));
      req.on('timeout', () => req.destroy(new Error('webhook timed out')));
      req.on('error', reject);
      req.end(job.body);
    });
  }
}
