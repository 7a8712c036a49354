import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import type { AppsService } from "../apps/service";
import { parseDate } from "../dates";
import type { ErrorDetail } from "../errors";
import { compile, validateQuery, validationError } from "../http/validate";
import { decodeCursor } from "./cursor";
import { DEFAULT_PAGE_SIZE, ListEventsQuery } from "./model";
import type { EventsService } from "./service";

const listEventsQuery = compile(ListEventsQuery);

export function eventRoutes(deps: { apps: AppsService; events: EventsService }) {
  return new Elysia({ name: "events" })
    .use(apiKeyAuth(deps.apps, "read"))
    .get("/v1/api/events", ({ query, app }) => {
      const input = validateQuery(listEventsQuery, query);
      const problems: ErrorDetail[] = [];
      const [from, to] = (["from", "to"] as const).map((field) => {
        if (input[field] === undefined) return undefined;
        const parsed = parseDate(input[field], field);
        if (parsed.ok) return parsed.ms;
        problems.push({ path: `/${field}`, message: parsed.message });
      });
      if (problems.length > 0) throw validationError(problems);
      return deps.events.list(app.id, {
        customerId: input.customerId,
        uid: input.uid,
        event: input.event,
        from,
        to,
        after: input.cursor === undefined ? undefined : decodeCursor(input.cursor),
        limit: input.limit ?? DEFAULT_PAGE_SIZE,
      });
    });
}
