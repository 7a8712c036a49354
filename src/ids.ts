// Random ids with a readable prefix (app_…, usr_…), for apps, keys and dashboard users alike.
import { randomBytes } from "node:crypto";

export function randomId(prefix: string, bytes = 8): string {
  return `${prefix}_${randomBytes(bytes).toString("hex")}`;
}
