// SQLite compares text byte by byte (BINARY); PostgreSQL by the database's collation, which may
// be a language's (en_US: "a" < "B"). Every text column the reads order or compare by goes
// through COLLATE "C" (byte order for UTF-8, equal to SQLite's), so pages and ties come out in
// SQLite's order whatever locale the cluster was created with.
import { sql, type SQL, type SQLWrapper } from "drizzle-orm";

export const C = (expression: SQLWrapper): SQL => sql`${expression} collate "C"`;
