// Keyset pagination: the cursor is the (eventDate, seq) of the last event returned, so pages
// stay stable while new events arrive. It is opaque to clients but not secret: every query is
// scoped to the caller's app, so a forged cursor can only skip within the caller's own data.
import { AppError } from "../errors";

export interface Position {
  eventDate: number;
  seq: number;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(`${position.eventDate}.${position.seq}`).toString("base64url");
}

export function decodeCursor(cursor: string): Position {
  const match = /^(-?\d{1,16})\.(\d{1,19})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match) {
    throw new AppError("VALIDATION_FAILED", "cursor is not valid; pass nextCursor from the previous page", {
      details: [{ path: "/cursor", message: "cursor is not valid" }],
    });
  }
  return { eventDate: Number(match[1]), seq: Number(match[2]) };
}
