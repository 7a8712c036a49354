// Token buckets, one per key (a client IP, an app): each holds up to `burst` tokens and refills
// at `rate` per second; a request takes one. Memory is bounded: past `maxKeys` buckets the full
// ones (idle long enough to have refilled, so forgetting them changes nothing) are dropped, and
// if that is not enough, all of them: a flood of distinct keys must not grow memory without end.

export interface RateLimit {
  /** Tokens per second. */
  rate: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: () => number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes a token for `key`: 0 when allowed, else the whole seconds to wait before retrying. */
  take(key: string): number {
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? this.newBucket(key, now);
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.rate);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.rate));
  }

  get size(): number {
    return this.buckets.size;
  }

  private newBucket(key: string, now: number): Bucket {
    if (this.buckets.size >= this.maxKeys) this.forgetFullBuckets(now);
    const bucket = { tokens: this.limit.burst, at: now };
    this.buckets.set(key, bucket);
    return bucket;
  }

  private forgetFullBuckets(now: number): void {
    const refillMs = (this.limit.burst / this.limit.rate) * 1000;
    for (const [key, bucket] of this.buckets) if (now - bucket.at >= refillMs) this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}
