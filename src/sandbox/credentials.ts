/**
 * The sandbox's default credentials. SANDBOX-ONLY: they are fixed and published here so that
 * a demo, a test and a benchmark agree on them without configuration. They open nothing at
 * Twilio; never use them, or any real credentials, anywhere else.
 */

/** Account SID the sandbox accepts by default (`AC` + 32 hex, like a real one). */
export const SANDBOX_ACCOUNT_SID = 'AC5a4db0c55a4db0c55a4db0c55a4db0c5';

/** Auth token the sandbox accepts by default and signs its webhooks with. */
export const SANDBOX_AUTH_TOKEN = '5a4db0c5000000000000000000000000';

/**
 * The sender a Messaging Service picks when a message names a service but no `From`, and the
 * default number the CLI's `reply` says a citizen wrote to. It is Twilio's magic test number.
 */
export const SANDBOX_SENDER = '+15005550006';
