// Loaded before every test file (bunfig.toml [test] preload): closes the harnesses a test
// opened (test/helpers.ts setup()): the SQLite database closed, the PostgreSQL one dropped.
import { afterEach } from "bun:test";
import { closeAll } from "./harnesses";

afterEach(closeAll);
