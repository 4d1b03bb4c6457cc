/**
 * Worker thread of an import: reads and validates the file and posts batches to the main
 * thread, never more than a few ahead of what the store has written (memory stays flat).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isInvitoError } from '../core/errors.js';
import { type KindName, type ReadOptions, validatedBatches } from './validated.js';

export interface WorkerInput {
  kind: KindName;
  path: string;
  options: ReadOptions;
  /** Batches that may be in flight before the worker waits for the store. */
  ahead: number;
}

export type WorkerMessage =
  | { type: 'info' | 'batch'; [k: string]: unknown }
  | { type: 'error'; code: string | null; message: string }
  | { type: 'end' };

const port = parentPort!;
const input = workerData as WorkerInput;
let credit = input.ahead;
let wake: (() => void) | null = null;
port.on('message', () => {
  credit++;
  wake?.();
  wake = null;
});

try {
  for await (const item of validatedBatches(input.kind, input.path, input.options)) {
    if (item.type === 'batch') {
      while (credit === 0) await new Promise<void>((r) => (wake = r));
      credit--;
    }
    port.postMessage(item);
  }
  port.postMessage({ type: 'end' } satisfies WorkerMessage);
} catch (e) {
  port.postMessage({ type: 'error', code: isInvitoError(e) ? e.code : null, message: (e as Error).message } satisfies WorkerMessage);
}
port.close();
