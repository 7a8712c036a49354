// The checkpointer's thread (started by checkpoint.ts). It has its own connection and copies
// committed pages from the WAL into the database file, so that the server's commits never do.
import { Database } from "bun:sqlite";
import type { CheckpointerMessage, CheckpointerSettings, CheckpointReport } from "./checkpoint";

declare const self: Worker;

let db: Database | undefined;
let timer: Timer | undefined;
let statements: { finalize(): void }[] = [];

self.onmessage = (message: MessageEvent<CheckpointerMessage>) => {
  if (message.data.type === "start") start(message.data.settings);
  else stop();
};

function start(settings: CheckpointerSettings): void {
  db = new Database(settings.path);
  // The checkpoint syncs the database file as this connection's own setting says.
  db.run(`PRAGMA synchronous = ${settings.durability === "full" ? "FULL" : "NORMAL"}`);
  // A RESTART waits for the writer's transaction to end, then holds writers off until it is
  // done; a short timeout bounds how long it may wait for a reader.
  db.run(`PRAGMA busy_timeout = ${settings.busyTimeoutMs}`);
  // Once the log restarts, the file is cut back to this size instead of staying at its peak.
  db.run(`PRAGMA journal_size_limit = ${settings.restartFrames * 4096}`);
  const passive = db.query<CheckpointReport, []>("PRAGMA wal_checkpoint(PASSIVE)");
  const restart = db.query<CheckpointReport, []>("PRAGMA wal_checkpoint(RESTART)");
  statements = [passive, restart];
  let lastCheckpointed = 0;
  timer = setInterval(() => {
    // PASSIVE copies what is committed without taking any lock a writer needs. Under steady load
    // the writer appends while it copies, so the log never empties on its own and would grow
    // without end: past restartFrames, RESTART copies the (short) rest and rewinds the log.
    // Not while a reader holds an older snapshot (a backup's VACUUM INTO, a long export): RESTART
    // would hold the writer lock while it waits busy_timeout for that reader, again on every
    // tick. With a 2M-event backup under load that made requests wait up to 174 ms (p99 114 ms;
    // bench/backup.ts). Such a reader pins what PASSIVE can copy at its snapshot, tick after
    // tick, while the writer's own transactions only hold it back for a moment. So: rewind when
    // PASSIVE copied the whole log, or got further than on the last tick. A reader costs at most
    // one wait (on the tick it appears); the log grows while it reads and is rewound after.
    const report = passive.get()!;
    const progressed = report.checkpointed === report.log || report.checkpointed > lastCheckpointed;
    lastCheckpointed = report.checkpointed;
    const restarted = report.log >= settings.restartFrames && progressed;
    if (restarted) restart.get();
    self.postMessage({ type: "checkpointed", restarted });
  }, settings.intervalMs);
  self.postMessage({ type: "started" });
}

function stop(): void {
  clearInterval(timer);
  // A statement left open would keep the connection alive after close().
  statements.forEach((statement) => statement.finalize());
  db?.close();
  self.postMessage({ type: "stopped" });
}
