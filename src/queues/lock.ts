/**
 * The pacer's leadership (`LeaderLock`, src/pacer/release.ts) kept in the Redis the worker
 * processes share: the process holding a campaign's lock is the one releasing its messages, and
 * another takes over within a lock period when it dies. Here rather than in the pacer, which
 * knows only the interface, so that the simulator's releaser needs no Redis.
 */
import type { Redis } from 'ioredis';
import type { LeaderLock } from '../pacer/release.js';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Locks in Redis (`SET NX PX`, renewed by compare-and-expire). */
export class RedisLock implements LeaderLock {
  /** Locks held, with the real time of their last renewal. */
  private readonly held = new Map<string, number>();
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly owner: string,
    private readonly ttlMs: number,
  ) {}

  private key(name: string): string {
    return `${this.prefix}-leader-${name}`;
  }

  async lead(name: string): Promise<boolean> {
    const key = this.key(name);
    const renewedAt = this.held.get(name);
    if (renewedAt !== undefined) {
      // Renewed recently: still ours for at least two thirds of its life, no need to ask Redis.
      if (Date.now() - renewedAt < this.ttlMs / 3) return true;
      const renewed = (await this.redis.eval(RENEW, 1, key, this.owner, String(this.ttlMs))) as number;
      if (renewed === 1) {
        this.held.set(name, Date.now());
        return true;
      }
      this.held.delete(name);
    }
    const got = await this.redis.set(key, this.owner, 'PX', this.ttlMs, 'NX');
    // A lock already in our name (this owner restarted its releaser) is ours again.
    const ours = got === 'OK' || (await this.redis.eval(RENEW, 1, key, this.owner, String(this.ttlMs))) === 1;
    if (ours) this.held.set(name, Date.now());
    return ours;
  }

  async releaseAll(): Promise<void> {
    for (const name of this.held.keys()) await this.redis.eval(RELEASE, 1, this.key(name), this.owner).catch(() => {});
    this.held.clear();
  }
}
