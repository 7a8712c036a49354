// Durable commits without stopping the event loop. With synchronous=FULL, SQLite fsyncs the
// write-ahead log inside every COMMIT, on the thread that runs the server: under load a third
// of the single-event path's wall time was that wait (a CPU profile, 2026-11-29), during which
// no request was read or answered. Instead the server's connection commits with
// synchronous=NORMAL (its commits only write() the log) and this makes the log durable off the
// main thread (fdatasync on the thread pool), while the next batch is already being built. The
// writer answers a batch only after a sync that began after its COMMIT has completed
// (src/store/writer.ts), so an acknowledged write survives power loss exactly as with FULL.
// The one difference: other requests may read a committed batch during its sync, before it is
// on disk (with FULL they could not run at all meanwhile).
//
// Why syncing the log is enough: in WAL mode a commit writes only the log (frames, and the
// header when the log starts over); the database file is written and synced by checkpoints
// (checkpoint.ts), which sync the log first. fdatasync flushes every write made to the file
// before it began, through whichever descriptor.
import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";

export interface CommitSync {
  /** Makes every commit made so far durable, then calls `done` (with the error if it failed). */
  sync(done: (error: Error | null) => void): void;
  /** The same, blocking: for shutdown. */
  syncNow(): void;
  close(): void;
}

export function walSync(databasePath: string): CommitSync {
  const walPath = `${databasePath}-wal`;
  let fd: number | undefined;
  let inode = 0;

  // Opened on first use: the log exists once a commit has been made. Reopened if the file was
  // replaced (SQLite deletes the log only when its last connection closes, but a descriptor on
  // a deleted file would sync nothing useful). The folder is synced once, as SQLite does when it
  // creates a log, so that the log's name survives power loss too.
  function current(): number {
    const onDisk = statSync(walPath).ino;
    if (fd !== undefined && onDisk === inode) return fd;
    if (fd !== undefined) closeSync(fd);
    fd = openSync(walPath, "r");
    inode = fstatSync(fd).ino;
    const folder = openSync(dirname(walPath), "r");
    try {
      fdatasyncSync(folder);
    } finally {
      closeSync(folder);
    }
    return fd;
  }

  return {
    sync(done) {
      let target: number;
      try {
        target = current();
      } catch (error) {
        return done(error as Error);
      }
      fdatasync(target, (error) => done(error));
    },
    syncNow() {
      fdatasyncSync(current());
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
