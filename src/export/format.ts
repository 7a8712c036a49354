// Export formats. Lines are built by hand rather than with JSON.stringify(object): eventData is
// stored as JSON text and is spliced in as is, which is most of the export's speed.
import { toIso } from "../dates";
import type { ExportFormat, ExportRow } from "./model";

const json = JSON.stringify;

/** The event as one JSON object, with its customer's identity. */
export function eventJson(row: ExportRow): string {
  return (
    `{"id":${json(row.id)},"event":${json(row.event)},"eventDate":"${toIso(row.eventDate)}","receivedAt":"${toIso(row.receivedAt)}",` +
    `"customerId":${json(row.customerId)},"uid":${json(row.uid)},"email":${json(row.email)},"userUid":${json(row.userUid)},` +
    `"source":"${row.source}","verified":${row.verified === 1},"messageId":${json(row.messageId)},"eventData":${row.eventData ?? "null"}}`
  );
}

const ndjsonLine = (row: ExportRow) => `${eventJson(row)}\n`;

export const CSV_COLUMNS = ["id", "event", "eventDate", "receivedAt", "customerId", "uid", "email", "userUid", "source", "verified", "messageId", "eventData"];

/** RFC 4180: quoted only when needed, quotes doubled. Empty for null. */
function csvField(value: string | null): string {
  if (value === null) return "";
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csvLine(row: ExportRow): string {
  return (
    [row.id, row.event, toIso(row.eventDate), toIso(row.receivedAt), row.customerId, row.uid, row.email, row.userUid, row.source]
      .map(csvField)
      .join(",") + `,${row.verified === 1},${csvField(row.messageId)},${csvField(row.eventData)}\r\n`
  );
}

export const formats: Record<ExportFormat, { contentType: string; extension: string; header: string; line: (row: ExportRow) => string }> = {
  ndjson: { contentType: "application/x-ndjson", extension: "ndjson", header: "", line: ndjsonLine },
  csv: { contentType: "text/csv; charset=utf-8", extension: "csv", header: `${CSV_COLUMNS.join(",")}\r\n`, line: csvLine },
};
