// The app's integer key inside the store (db/schema.ts: apps.pk). The event and count tables
// hold it instead of the text id: a narrower key in every row and index of the tables written
// per event (bench/README.md, issue 18). The API and the store's interfaces keep the text id;
// the hot writes bind the integer, found once per app and remembered (an app's pk never changes
// and apps are never deleted), and the reads find it with a constant subquery, which both
// SQLite and PostgreSQL evaluate once per statement.
import { sql, type SQL } from "drizzle-orm";

/** The app's pk from the `$appId` parameter, for raw SQLite statements. */
export const APP_PK = "(SELECT pk FROM apps WHERE id = $appId)";

/** The app's pk from its public id (a value or a placeholder), for Drizzle on either dialect. */
export const appPkOf = (appId: unknown): SQL => sql`(select pk from apps where id = ${appId})`;

/**
 * Remembers `lookup`'s answers. An unknown app gives 0, which no app has (pks start at 1), so a
 * statement bound with it matches nothing; that answer is not remembered, as the app may be
 * created later.
 */
export function appKeysOf(lookup: (appId: string) => number | undefined): (appId: string) => number {
  const known = new Map<string, number>();
  return (appId) => {
    const remembered = known.get(appId);
    if (remembered !== undefined) return remembered;
    const pk = lookup(appId);
    if (pk === undefined) return 0;
    known.set(appId, pk);
    return pk;
  };
}
