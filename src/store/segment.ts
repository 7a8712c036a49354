// SQL for segment_messages (db/schema.ts): the messageIds of Segment messages that store no
// event (identify, group), so that a retried one is applied once. Plain prepared statements on
// the connection, like the ingest store, since every such message runs them inside a writer job.
import type { Db } from "../db";

export function createSegmentStore(db: Db) {
  const client = db.$client;
  const known = client.prepare<{ found: number }, { appId: string; messageId: string }>(
    "SELECT 1 AS found FROM segment_messages WHERE app_id = $appId AND message_id = $messageId",
  );
  const record = client.prepare<never, { appId: string; messageId: string; type: "identify" | "group"; receivedAt: number }>(
    "INSERT INTO segment_messages (app_id, message_id, type, received_at) VALUES ($appId, $messageId, $type, $receivedAt)",
  );
  return {
    isKnown: (appId: string, messageId: string): boolean => known.get({ appId, messageId }) !== null,
    record: (row: { appId: string; messageId: string; type: "identify" | "group"; receivedAt: number }) => record.run(row),
  };
}

export type SegmentStore = ReturnType<typeof createSegmentStore>;
