/**
 * The `calls` keys of a campaign: how the call desk works its tasks (call windows are in
 * `windows.call`). Owned by the desk; every key has a default so campaigns may leave it out.
 */
import { z } from 'zod';

export const callsSchema = z.strictObject({}).default({});
