/** The four ways invito reaches a citizen, in one place for every layer. */
export const CHANNELS = ['sms', 'email', 'voice', 'call'] as const;
export type Channel = (typeof CHANNELS)[number];
