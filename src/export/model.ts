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

export type { ExportRow } from "../store/types";
