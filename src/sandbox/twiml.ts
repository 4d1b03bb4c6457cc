/** What the sandbox reads of the TwiML an app answers with, as a caller would follow it. */

/** The `action` of the first `<Gather>` of a TwiML document, unescaped; null when it has none. */
export function gatherAction(twiml: string): string | null {
  const m = /<Gather\b[^>]*\baction="([^"]*)"/.exec(twiml);
  return m ? m[1]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') : null;
}
