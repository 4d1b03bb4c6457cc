// split-sms ships no types; only what the cross-check reads is declared.
declare module 'split-sms' {
  interface SplitSmsResult {
    readonly characterSet: 'GSM' | 'Unicode';
    readonly parts: readonly { readonly length: number; readonly bytes: number }[];
    /** Septets for GSM, bytes (two per UTF-16 unit) for Unicode. */
    readonly bytes: number;
    readonly length: number;
  }
  const splitSms: { split(message: string, options?: { summary?: boolean }): SplitSmsResult };
  export = splitSms;
}
