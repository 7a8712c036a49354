// What the server asks of the database as a whole: whether it answers (GET /healthz) and how big
// it is (the Prometheus gauge). Raw SQL: one constant statement each, with SQLite's pragmas.
import type { Db } from "../db";

export function createDatabaseProbe(db: Db) {
  const ping = db.$client.prepare("select 1 as ok");
  const pageStats = db.$client.prepare<{ bytes: number }, []>("SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()");
  return {
    /** Throws when the database does not answer. */
    ping: (): void => void ping.get(),
    /** The main database file's size, pages in use and free. */
    bytes: (): number => pageStats.get()!.bytes,
  };
}
