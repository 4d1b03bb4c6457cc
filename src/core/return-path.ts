/**
 * The email a message is sent as, and how a bounce finds it again: the Message-ID derived from
 * the message key, and the VERP return path (the envelope MAIL FROM) that carries the key, so a
 * delivery status notification sent back to it names the message without anyone reading its
 * body. Shared by the email channel (which sends with them) and the bounce listener in
 * `invito serve` (which reads them back).
 *
 * The return path is `bounces+<key>@<domain>`. A message key holds `[A-Za-z0-9._~-]` (campaign
 * and step ids, the fallback's `~`, a citizen id): those stay as they are, so the address reads
 * like the key; anything else, and a `.` that would start, end or double in the local part, is
 * written `=XX` (its UTF-8 bytes in hex), so neither `@` nor `+` can appear in the key's part.
 */

/** The local part's prefix before the `+` and the key. */
export const RETURN_PATH_PREFIX = 'bounces';

/** The domain of our Message-IDs, so a message can be found again in the relay's logs. */
export const MESSAGE_ID_DOMAIN = 'invito.local';

/** The Message-ID (with its angle brackets) an email of this message is sent with: also its provider id. */
export const emailMessageId = (messageKey: string): string => `<${messageKey}@${MESSAGE_ID_DOMAIN}>`;

const PLAIN = /[A-Za-z0-9_~-]/;

function encodeKey(key: string): string {
  let out = '';
  const bytes = (ch: string): string => [...Buffer.from(ch, 'utf8')].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  const chars = [...key];
  chars.forEach((ch, i) => {
    if (PLAIN.test(ch)) out += ch;
    // A dot is kept where a dot-atom allows it: not first, not last, not after another dot.
    else if (ch === '.' && i > 0 && i < chars.length - 1 && chars[i - 1] !== '.') out += ch;
    else out += bytes(ch);
  });
  return out;
}

function decodeKey(encoded: string): string | null {
  if (!/^(?:[A-Za-z0-9._~-]|=[0-9A-F]{2})+$/.test(encoded)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; ) {
    if (encoded[i] === '=') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(encoded.charCodeAt(i));
      i += 1;
    }
  }
  const key = Buffer.from(bytes).toString('utf8');
  // Only the one spelling the encoder writes is accepted, so one message has one address.
  return encodeKey(key) === encoded ? key : null;
}

/** The VERP return path of a message: `bounces+<key>@<domain>`. */
export const returnPath = (messageKey: string, domain: string): string => `${RETURN_PATH_PREFIX}+${encodeKey(messageKey)}@${domain}`;

/**
 * The message key a return path names, or null when the address is not one of ours: another
 * local part, a malformed key, or (when `domain` is given) another domain. The prefix and the
 * domain compare case-insensitively, the key exactly.
 */
export function parseReturnPath(address: string, domain?: string): string | null {
  const at = address.lastIndexOf('@');
  if (at <= 0) return null;
  const local = address.slice(0, at);
  if (domain !== undefined && address.slice(at + 1).toLowerCase() !== domain.toLowerCase()) return null;
  const plus = local.indexOf('+');
  if (plus < 0 || local.slice(0, plus).toLowerCase() !== RETURN_PATH_PREFIX) return null;
  return decodeKey(local.slice(plus + 1));
}

/** The domain of an address (`Name <user@domain>` or `user@domain`), lower-cased; null without one. */
export function domainOf(address: string): string | null {
  const m = /@([^\s@<>]+?)>?\s*$/.exec(address);
  return m ? m[1]!.toLowerCase() : null;
}
