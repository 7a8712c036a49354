// trackd dev … : tools for development. `dev seed` writes generated events through the same
// ingest service and writer as the server, so every write-time counter is kept as in production.
import { UsageError } from "../config";
import { createCustomersService } from "../customers/service";
import { createSeeder } from "../dev/seed";
import { createIngestService } from "../ingest/service";
import { dbOption, parseCommandArgs } from "./args";
import { openStoreForCommand, requireApp } from "./db";
import { progressBar } from "./progress";

const BATCH = 1000;
// Jobs queued in one event-loop turn commit as one transaction: 10 × 1,000 events, half the
// writer's maxPending (20,000), past which it refuses work. Each commit writes every page it
// dirtied: with 4,000 events per transaction the seed ran 10-30% slower here.
const MAX_IN_FLIGHT = 10;

export async function devCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "seed") throw new UsageError(sub ? `unknown dev command "${sub}"` : "dev needs a command: seed");
  const { values } = parseCommandArgs(rest, {
    ...dbOption,
    app: { type: "string" },
    events: { type: "string" },
    customers: { type: "string" },
    days: { type: "string" },
    seed: { type: "string" },
  });
  if (!values.app) throw new UsageError("dev seed needs --app APP_ID");
  const plan = {
    events: wholeNumber("events", values.events, 1, 20_000_000),
    customers: wholeNumber("customers", values.customers, 1, 10_000_000),
    days: wholeNumber("days", values.days ?? "365", 1, 3650),
    seed: wholeNumber("seed", values.seed ?? "1", 0, 2 ** 32 - 1),
  };
  if (plan.customers > plan.events) {
    throw new UsageError(`--customers (${plan.customers}) must not exceed --events (${plan.events}): each customer gets at least one event`);
  }

  const { store, close } = await openStoreForCommand(values, env, { command: "dev seed", mustExist: true, durability: "normal" });
  try {
    await requireApp(store, values.app);
    const ingest = createIngestService({ store, clock: Date.now, customers: createCustomersService(store) });
    const seeder = createSeeder({ ...plan, now: Date.now() });
    const progress = progressBar("seeding", plan.events);
    const inFlight: Promise<unknown>[] = [];
    for (let batch = seeder.next(BATCH); batch.length > 0; batch = seeder.next(BATCH)) {
      inFlight.push(ingest.recordEvents(values.app, batch, "bulk"));
      if (inFlight.length >= MAX_IN_FLIGHT || seeder.done === plan.events) {
        await Promise.all(inFlight.splice(0));
        progress.update(seeder.done);
      }
    }
    const seconds = progress.finish();
    console.log(
      `seeded ${plan.events} events for ${plan.customers} customers (${seeder.users} users) in ${seconds.toFixed(1)} s: ${Math.round(plan.events / seconds)} events/s`,
    );
    return 0;
  } finally {
    await close();
  }
}

function wholeNumber(flag: string, raw: string | undefined, min: number, max: number): number {
  if (raw === undefined) throw new UsageError(`dev seed needs --${flag} N`);
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
