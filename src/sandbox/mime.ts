/**
 * Just enough MIME to show what an email said: header fields (unfolded, RFC 2047 encoded words
 * decoded), the first text/plain and text/html parts (quoted-printable or base64, any charset
 * the runtime knows), and a list of attachments. `mailparser` is not a dependency and the sink
 * needs no more than this.
 */

export interface ParsedMail {
  /** Header fields of the top-level message by lower-case name; repeated fields joined with `, `. */
  readonly headers: Record<string, string>;
  text: string | null;
  html: string | null;
  readonly attachments: { filename: string | null; contentType: string; size: number }[];
}

/** Parses a message as received by the SMTP sink (CRLF or LF line ends). */
export function parseMail(raw: Buffer): ParsedMail {
  // latin1 keeps one char per byte, so transfer decodings see the bytes exactly as sent.
  const source = raw.toString('latin1');
  const [head, body] = splitHead(source);
  const headers = parseHeaders(head);
  const out: ParsedMail = { headers, text: null, html: null, attachments: [] };
  walk(headers, body, out, 0);
  return out;
}

/** Splits a part at its first empty line into header block and body. */
function splitHead(s: string): [string, string] {
  const crlf = s.indexOf('\r\n\r\n');
  const lf = s.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return [s.slice(0, crlf), s.slice(crlf + 4)];
  if (lf >= 0) return [s.slice(0, lf), s.slice(lf + 2)];
  return [s, ''];
}

function parseHeaders(block: string): Record<string, string> {
  // Header bytes may be raw UTF-8 (SMTPUTF8); encoded words are handled after.
  const text = Buffer.from(block, 'latin1').toString('utf8');
  const headers: Record<string, string> = {};
  for (const line of text.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = decodeWords(line.slice(colon + 1).trim());
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

const WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/** Decodes RFC 2047 encoded words; the space between two adjacent words is not text. */
export function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  return value
    .replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)/g, '$1')
    .replace(WORD, (_m, charset: string, enc: string, data: string) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return decodeCharset(bytes, charset.split('*')[0]!);
    });
}

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset || 'utf-8').decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

interface HeaderValue {
  readonly value: string;
  readonly params: Record<string, string>;
}

/** `text/plain; charset="utf-8"` → value and parameters, RFC 2231 (`name*=`, `name*0*=`) included. */
function parseStructured(field: string | undefined): HeaderValue {
  if (!field) return { value: '', params: {} };
  const semi = field.indexOf(';');
  const value = (semi < 0 ? field : field.slice(0, semi)).trim().toLowerCase();
  const params: Record<string, string> = {};
  const pieces = new Map<string, { index: number; encoded: boolean; text: string }[]>();
  const re = /;\s*([^=\s;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (let m = re.exec(field); m; m = re.exec(field)) {
    const key = m[1]!.toLowerCase();
    let v = m[2]!.trim();
    if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    const ext = /^(.+?)\*(?:(\d+)\*?)?$/.exec(key);
    if (ext) {
      const list = pieces.get(ext[1]!) ?? [];
      list.push({ index: ext[2] === undefined ? 0 : Number(ext[2]), encoded: key.endsWith('*'), text: v });
      pieces.set(ext[1]!, list);
    } else params[key] = v;
  }
  for (const [key, list] of pieces) {
    list.sort((a, b) => a.index - b.index);
    let charset = 'utf-8';
    const bytes: Buffer[] = [];
    for (const [i, p] of list.entries()) {
      let t = p.text;
      if (p.encoded && i === 0) {
        const q = /^([^']*)'[^']*'(.*)$/.exec(t);
        if (q) {
          charset = q[1] || charset;
          t = q[2]!;
        }
      }
      bytes.push(p.encoded ? Buffer.from(t.replace(/%([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1') : Buffer.from(t, 'utf8'));
    }
    params[key] = decodeCharset(Buffer.concat(bytes), charset);
  }
  return { value, params };
}

function decodeTransfer(body: string, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable':
      return Buffer.from(
        body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      );
    default:
      return Buffer.from(body, 'latin1');
  }
}

/** The body parts of a multipart body, between `--boundary` lines, up to `--boundary--`. */
function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = '--' + boundary;
  const parts: string[] = [];
  let at = body.startsWith(delimiter) ? 0 : body.indexOf('\n' + delimiter);
  if (at < 0) return parts;
  if (at > 0) at += 1;
  for (;;) {
    const lineEnd = body.indexOf('\n', at);
    if (body.startsWith(delimiter + '--', at) || lineEnd < 0) break;
    const nextAt = body.indexOf('\n' + delimiter, lineEnd);
    const end = nextAt < 0 ? body.length : nextAt;
    // The line break before a delimiter belongs to the delimiter (RFC 2046).
    parts.push(body.slice(lineEnd + 1, body[end - 1] === '\r' ? end - 1 : end));
    if (nextAt < 0) break;
    at = nextAt + 1;
  }
  return parts;
}

/** Guards against a hostile nesting depth; real messages nest three or four levels. */
const MAX_DEPTH = 16;

function walk(headers: Record<string, string>, body: string, out: ParsedMail, depth: number): void {
  const type = parseStructured(headers['content-type'] ?? 'text/plain');
  const boundary = type.params.boundary;
  if (type.value.startsWith('multipart/') && boundary && depth < MAX_DEPTH) {
    for (const part of splitMultipart(body, boundary)) {
      const [h, b] = splitHead(part);
      walk(parseHeaders(h), b, out, depth + 1);
    }
    return;
  }
  const disposition = parseStructured(headers['content-disposition']);
  const filename = disposition.params.filename ?? type.params.name ?? null;
  const bytes = decodeTransfer(body, headers['content-transfer-encoding']);
  const inline = disposition.value !== 'attachment' && filename === null;
  const contentType = type.value || 'text/plain';
  if (inline && contentType === 'text/plain' && out.text === null) {
    out.text = decodeCharset(bytes, type.params.charset).replace(/\r\n/g, '\n');
  } else if (inline && contentType === 'text/html' && out.html === null) {
    out.html = decodeCharset(bytes, type.params.charset).replace(/\r\n/g, '\n');
  } else {
    out.attachments.push({ filename, contentType, size: bytes.length });
  }
}
