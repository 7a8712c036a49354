// Loaded before every test file (bunfig.toml [test] preload): closes the harnesses a test
// opened (test/helpers.ts setup()): the SQLite database closed, the PostgreSQL one dropped.
// After the last file, the PostgreSQL databases still being dropped, and the spare, are waited for.
import { afterAll, afterEach } from "bun:test";
import { closeAll } from "./harnesses";
import { settleDatabases } from "./postgres";

afterEach(closeAll);
afterAll(settleDatabases);
