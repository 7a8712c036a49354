// The scoring pass: every customer of an app scored from what the counts say now, and
// customers.health_score written where it changed, so the list can sort and filter by health
// without scoring anything on read. Customers are read in ranges of RANGE_SIZE, and each range's
// changes go to the writer as one job: the server keeps answering between ranges, and ingest
// never waits behind one transaction that rewrites a whole app.
import type { Store } from "../store/types";
import { scoreHealth } from "./score";
import { medianOf, prepareGathering, RANGE_SIZE } from "./service";
import { weightsOf } from "../health-weights";

export interface PassResult {
  appId: string;
  customersScored: number;
  /** Customers whose stored score moved (or who had none yet). */
  changed: number;
  medianBreadth: number;
  durationMs: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `store`: the app's, so that the pass shares its applier (statements prepared once, counts deferred once). */
export function createHealthPass({ store, clock }: { store: Store; clock: () => number }) {
  const applier = store;
  const gathering = prepareGathering(store.scores);

  /** Null when `signal` aborted it (shutdown): what it wrote so far stays, the rest waits for the next pass. */
  async function scoreApp(appId: string, weights: Record<string, number> | null, signal?: AbortSignal): Promise<PassResult | null> {
    const started = performance.now();
    const now = clock();
    const ranges = await gathering.ranges(appId, RANGE_SIZE);
    // Every score compares breadth with the median, so all breadths come first.
    const breadth = new Map<number, number>();
    for (const range of ranges) {
      await nextTurn();
      if (signal?.aborted) return null;
      for (const [pk, value] of await gathering.breadths(appId, range, now)) breadth.set(pk, value);
    }
    const medianBreadth = medianOf(breadth.values());

    const resolved = weightsOf(weights);
    let customersScored = 0;
    let changed = 0;
    for (const range of ranges) {
      if (signal?.aborted) return null;
      const changes: { pk: number; score: number }[] = [];
      const customers = await gathering.gather(appId, range, now, breadth, medianBreadth);
      for (const customer of customers) {
        const { score } = scoreHealth(customer.inputs, resolved, now);
        if (score !== customer.healthScore) changes.push({ pk: customer.pk, score });
      }
      customersScored += customers.length;
      if (changes.length > 0) await applier.apply({ type: "SetScores", changes });
      else await nextTurn();
      changed += changes.length;
    }
    const durationMs = Math.round(performance.now() - started);
    await applier.apply({ type: "SaveHealthRun", run: { appId, medianBreadth, customersScored, durationMs, computedAt: now } });
    return { appId, customersScored, changed, medianBreadth, durationMs };
  }

  return {
    /** Scores every app, or only `appId`; stops early (and returns what finished) when `signal` aborts. */
    async run(options: { appId?: string; signal?: AbortSignal } = {}): Promise<PassResult[]> {
      const results: PassResult[] = [];
      for (const app of await store.scores.appsToScore(options.appId ?? null)) {
        const result = await scoreApp(app.id, app.weights === null ? null : JSON.parse(app.weights), options.signal);
        if (!result) break;
        results.push(result);
      }
      return results;
    },
  };
}

export type HealthPass = ReturnType<typeof createHealthPass>;
