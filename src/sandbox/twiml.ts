/** What the sandbox reads of the TwiML an app answers with, as a caller would follow it. */

const unescape = (s: string): string => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const attr = (tag: string, name: string): string | null => {
  const m = new RegExp(`\\b${name}="([^"]*)"`).exec(tag);
  return m ? unescape(m[1]!) : null;
};

/** The `action` of the first `<Gather>` of a TwiML document, unescaped; null when it has none. */
export function gatherAction(twiml: string): string | null {
  const m = /<Gather\b[^>]*\baction="([^"]*)"/.exec(twiml);
  return m ? unescape(m[1]!) : null;
}

/** The first `<Enqueue>` of a TwiML document: its queue, wait URL and action; null when it has none. */
export function enqueueOf(twiml: string): { queue: string; waitUrl: string | null; action: string | null } | null {
  const m = /<Enqueue\b([^>]*)>([^<]*)<\/Enqueue>/.exec(twiml);
  return m ? { queue: unescape(m[2]!.trim()), waitUrl: attr(m[1]!, 'waitUrl'), action: attr(m[1]!, 'action') } : null;
}

/** A `<Dial>` of a `<Queue>`: the queue, the URL played to the dequeued caller, the Dial's action; null when there is none. */
export function dialQueueOf(twiml: string): { queue: string; url: string | null; action: string | null } | null {
  const m = /<Dial\b([^>]*)>\s*<Queue\b([^>]*)>([^<]*)<\/Queue>/.exec(twiml);
  return m ? { queue: unescape(m[3]!.trim()), url: attr(m[2]!, 'url'), action: attr(m[1]!, 'action') } : null;
}

/** Whether the TwiML says `<Leave/>` (a waiting caller leaves the queue). */
export const leaves = (twiml: string): boolean => /<Leave\s*\/>|<Leave>\s*<\/Leave>/.test(twiml);

/** The seconds of the first `<Pause>` (Twilio's default 1), or null when there is none. */
export function pauseSeconds(twiml: string): number | null {
  const m = /<Pause\b([^>]*)\/?>/.exec(twiml);
  if (!m) return null;
  const n = Number(attr(m[1]!, 'length') ?? '1');
  return Number.isFinite(n) && n > 0 ? n : 1;
}
