/** The five ways invito reaches a citizen, in one place for every layer. */
export const CHANNELS = ['sms', 'email', 'voice', 'call', 'whatsapp'] as const;
export type Channel = (typeof CHANNELS)[number];
