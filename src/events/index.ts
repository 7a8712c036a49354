import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import type { AppsService } from "../apps/service";
import { compile, validateQueryWithDates } from "../http/validate";
import { decodeCursor } from "./cursor";
import { DEFAULT_PAGE_SIZE, ListEventsQuery } from "./model";
import type { EventsService } from "./service";

const listEventsQuery = compile(ListEventsQuery);

export function eventRoutes(deps: { apps: AppsService; events: EventsService }) {
  return new Elysia({ name: "events" })
    .use(apiKeyAuth(deps.apps, "read"))
    .get("/v1/api/events", ({ query, app }) => {
      const { input, dates } = validateQueryWithDates(listEventsQuery, query, ["from", "to"]);
      return deps.events.list(app.id, {
        customerId: input.customerId,
        uid: input.uid,
        event: input.event,
        ...dates,
        after: input.cursor === undefined ? undefined : decodeCursor(input.cursor),
        limit: input.limit ?? DEFAULT_PAGE_SIZE,
      });
    });
}
