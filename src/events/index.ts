import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import type { AppsService } from "../apps/service";
import { compile, validateQueryWithDates } from "../http/validate";
import { retainedFrom, retainedSince } from "../horizon";
import { decodeCursor } from "./cursor";
import { DEFAULT_PAGE_SIZE, ListEventsQuery } from "./model";
import type { EventsService } from "./service";

const listEventsQuery = compile(ListEventsQuery);

export function eventRoutes(deps: { apps: AppsService; events: EventsService; clock: () => number }) {
  return new Elysia({ name: "events" })
    .use(apiKeyAuth(deps.apps, "read"))
    .get("/v1/api/events", async ({ query, app }) => {
      const { input, dates } = validateQueryWithDates(listEventsQuery, query, ["from", "to"]);
      const page = await deps.events.list(app.id, {
        customerId: input.customerId,
        uid: input.uid,
        event: input.event,
        ...dates,
        from: retainedFrom(dates.from, app, deps.clock()),
        after: input.cursor === undefined ? undefined : decodeCursor(input.cursor),
        limit: input.limit ?? DEFAULT_PAGE_SIZE,
      });
      return { ...page, retainedSince: retainedSince(app, deps.clock()) };
    });
}
