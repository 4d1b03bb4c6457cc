/**
 * The Twilio REST errors the sandbox answers with, in Twilio's own shape
 * (`{"code", "message", "more_info", "status"}`), so that the SDK turns them into the same
 * `RestException` a real account would produce. The messages follow Twilio's wording; like
 * Twilio's, some contain the number — they go only to the client, never to the sandbox's logs.
 */

export interface TwilioError {
  /** HTTP status. */
  readonly status: number;
  /** Twilio error code (https://www.twilio.com/docs/errors/CODE). */
  readonly code: number;
  readonly message: string;
  readonly detail?: string;
}

const err = (status: number, code: number, message: string, detail?: string): TwilioError =>
  detail === undefined ? { status, code, message } : { status, code, message, detail };

export const TwilioErrors = {
  authenticate: () => err(401, 20003, 'Authenticate', 'Your AccountSid or AuthToken was incorrect.'),
  notFound: (path: string) => err(404, 20404, `The requested resource ${path} was not found`),
  tooManyRequests: () => err(429, 20429, 'Too Many Requests'),
  internal: () => err(500, 20500, 'An internal server error has occurred'),
  /** Any other HTTP-level problem (bad content type, body too large): Twilio's 20xxx family. */
  http: (status: number, message: string) => err(status, 20000 + status, message),

  // Messages
  toMissing: () => err(400, 21604, "A 'To' phone number is required."),
  toInvalid: (to: string) => err(400, 21211, `The 'To' number ${to} is not a valid phone number.`),
  notMobile: () => err(400, 21614, "'To' number is not a valid mobile number"),
  fromMissing: () => err(400, 21603, "A 'From' phone number is required."),
  fromInvalid: (from: string) => err(400, 21212, `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`),
  bodyMissing: () => err(400, 21602, 'Message body is required.'),
  bodyTooLong: () => err(400, 21617, 'The concatenated message body exceeds the 1600 character limit.'),
  serviceInvalid: (sid: string) => err(400, 21701, `The Messaging Service Sid ${sid} is invalid.`),
  callbackInvalid: () => err(400, 21609, "Invalid 'StatusCallback' URL"),
  contentSidInvalid: () => err(400, 21655, 'The ContentSid is Invalid'),
  contentVariablesInvalid: () => err(400, 21656, 'The ContentVariables Parameter is invalid'),

  // WhatsApp: `whatsapp:` on one side only, or a `whatsapp:` From that is no WhatsApp sender
  channelNotFound: () => err(400, 63007, 'Twilio could not find a Channel with the specified From address'),

  // Calls
  callToMissing: () => err(400, 21201, "No 'To' number is specified"),
  callToInvalid: (to: string) => err(400, 21211, `Invalid 'To' Phone Number: ${to}`),
  callFromMissing: () => err(400, 21213, "No 'From' number is specified"),
  callFromInvalid: (from: string) => err(400, 21212, `Invalid 'From' Phone Number: ${from}`),
  callUrlMissing: () => err(400, 21205, 'Url parameter is required.'),
  callUrlInvalid: () => err(400, 21205, 'Url is not a valid URL.'),
} as const;

/** The JSON body Twilio sends with an error. */
export function twilioErrorBody(e: TwilioError): Record<string, unknown> {
  const body: Record<string, unknown> = { code: e.code, message: e.message, more_info: `https://www.twilio.com/docs/errors/${e.code}`, status: e.status };
  if (e.detail !== undefined) body.detail = e.detail;
  return body;
}
