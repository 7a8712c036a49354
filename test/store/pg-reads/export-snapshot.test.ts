// Export on PostgreSQL reads one snapshot: events committed by another connection (another
// node) while an export is under way are not in it, wherever they fall in the order, and an
// export given up half way (break, or an error in the loop) gives its connection back.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { closePostgres, openPostgres, type PgDb } from "../../../src/db/postgres";
import { createPgReads, type StoreReads } from "../../../src/store/pg/reads";
import { T0 } from "../../helpers";
import { describePg, freshDatabase, type TestDatabase } from "../../support/postgres";

let database: TestDatabase;
let db: PgDb;
let other: PgDb;
let reads: StoreReads;

async function insertEvents(into: PgDb, ids: string[], dateOf: (i: number) => number): Promise<void> {
  for (const [i, id] of ids.entries()) {
    await into.$client`INSERT INTO events (id, app_pk, customer_pk, event, event_date, received_at, source, verified)
      VALUES (${id}, 1, 1, 'e', ${dateOf(i)}, ${T0}, 'server', true)`;
  }
}

describePg("export on PostgreSQL", () => {
  beforeAll(async () => {
    database = await freshDatabase({ migrated: true });
    // Two connections at most: an export that kept its connection would starve the pool.
    db = openPostgres(database.url, { max: 2 });
    other = openPostgres(database.url, { max: 2 });
    reads = createPgReads(db);
    await db.$client`INSERT INTO apps (id, pk, name, signing_secret, created_at) VALUES ('app_x', 1, 'x', 's', ${T0})`;
    await db.$client`INSERT INTO customers (pk, app_id, customer_id, created_at, updated_at) VALUES (1, 'app_x', 'c', ${T0}, ${T0})`;
    await insertEvents(db, Array.from({ length: 10 }, (_, i) => `before_${i}`), (i) => T0 + i * 1000);
  });
  afterAll(async () => {
    await closePostgres(db);
    await closePostgres(other);
    await database.drop();
  });

  test("events committed elsewhere during the export are not in it, before or after its position", async () => {
    const seen: string[] = [];
    let pages = 0;
    for await (const page of reads.export.pages("app_x", {}, 3)) {
      if (pages++ === 0) {
        // Committed on another pool after the first page: one early in the order, one late, one at the end.
        await insertEvents(other, ["during_early", "during_late", "during_end"], (i) => [T0 + 500, T0 + 7500, T0 + 99_000][i]!);
      }
      seen.push(...page.map((row) => row.id));
    }
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `before_${i}`));
    expect(pages).toBe(4);
    // A new export sees them.
    const after: string[] = [];
    for await (const page of reads.export.pages("app_x", {}, 3)) after.push(...page.map((row) => row.id));
    expect(after).toHaveLength(13);
  });

  test("an export given up after its first page, or failing in the loop, releases its connection", async () => {
    for (let i = 0; i < 5; i++) {
      for await (const page of reads.export.pages("app_x", {}, 2)) {
        expect(page).toHaveLength(2);
        break;
      }
      const failed = (async () => {
        for await (const _ of reads.export.pages("app_x", {}, 2)) throw new Error("the writer failed");
      })();
      expect(failed).rejects.toThrow("the writer failed");
      await failed.catch(() => {});
    }
    // With two connections in the pool, any export still holding one would leave one at most.
    const [a, b] = await Promise.all([db.$client.reserve(), db.$client.reserve()]);
    a.release();
    b.release();
    await reads.database.ping();
  });
});
