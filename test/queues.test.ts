import { describe, expect, it } from 'vitest';
import { rateLimitFor } from '../src/queues/queues.js';

describe('provider ceilings as BullMQ limits', () => {
  it('no sliding second can carry more than 90% of the ceiling (at least 1), and throughput stays close to it', () => {
    for (const ceiling of [1, 2, 3, 5, 10, 25, 50, 100, 300, 1000, 2000, 5000]) {
      const { max, duration } = rateLimitFor(ceiling);
      // With one job per window each job opens its window; otherwise windows start back to back.
      const worst = max === 1 ? Math.floor(999 / duration) + 1 : (Math.ceil(1000 / duration) + 1) * max;
      expect(worst, `ceiling ${ceiling}`).toBeLessThanOrEqual(Math.max(1, Math.floor(ceiling * 0.9)));
      if (ceiling >= 10) expect((max * 1000) / duration, `ceiling ${ceiling}`).toBeGreaterThan(ceiling * 0.75);
    }
  });
});
