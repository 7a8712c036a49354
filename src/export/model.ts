import { t } from "elysia";
import { Chars } from "../http/chars";

export const EXPORT_FORMATS = ["ndjson", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** GET /v1/api/export. */
export const ExportQuery = t.Object(
  {
    /** Inclusive. */
    from: t.Optional(t.String()),
    /** Exclusive. */
    to: t.Optional(t.String()),
    format: t.Optional(t.Union(EXPORT_FORMATS.map((f) => t.Literal(f)), { error: "must be ndjson or csv" })),
    customerId: t.Optional(Chars(1, 255, { error: "must be 1 to 255 characters" })),
  },
  { additionalProperties: false },
);

/** One exported event: the event and the identity of its customer (and user). */
export interface ExportRow {
  seq: number;
  id: string;
  event: string;
  eventDate: number;
  receivedAt: number;
  customerId: string | null;
  uid: string | null;
  email: string | null;
  userUid: string | null;
  source: string;
  verified: number;
  messageId: string | null;
  /** As stored: JSON text, already validated at ingestion. */
  eventData: string | null;
}
