// Streamed exports (read scope): every event of the app as NDJSON or CSV, and everything stored
// about one customer as one JSON document (data-subject access). Bodies are pulled one page at a
// time as the client reads, so memory stays flat whatever the size.
import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import type { AppsService } from "../apps/service";
import { CustomerQuery } from "../customers/model";
import type { CustomersService } from "../customers/service";
import { toIso } from "../dates";
import { compile, validateQuery, validateQueryWithDates } from "../http/validate";
import type { Logger } from "../log";
import { eventJson, formats } from "./format";
import { retainedFrom, retainedSince } from "../horizon";
import { ExportQuery } from "./model";
import type { ExportReads } from "../store/types";

const exportQuery = compile(ExportQuery);
const safeFileName = (name: string) => name.replace(/[^\w.-]/g, "_");
const customerQuery = compile(CustomerQuery);

export function exportRoutes(deps: { apps: AppsService; customers: CustomersService; exporter: ExportReads; clock: () => number; logger: Logger }) {
  const { apps, customers, exporter, clock, logger } = deps;

  /** A response whose body is produced chunk by chunk, only as fast as the client reads it. */
  function streamed(chunks: AsyncIterable<string>, headers: Record<string, string>): Response {
    const iterator = chunks[Symbol.asyncIterator]();
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        } catch (error) {
          // The status is already sent: cutting the stream short is how the client learns.
          logger.error("export failed mid-stream", { error: String(error) });
          controller.error(error);
        }
      },
      async cancel() {
        await iterator.return?.();
      },
    });
    return new Response(body, { headers });
  }

  return new Elysia({ name: "export" })
    .use(apiKeyAuth(apps, "read", { sessionScope: "admin" }))
    .get("/v1/api/export", async ({ query, app }) => {
      const { input, dates } = validateQueryWithDates(exportQuery, query, ["from", "to"]);
      const format = formats[input.format ?? "ndjson"];
      const customerPk = input.customerId === undefined ? undefined : (await customers.findOr404(app.id, input.customerId)).pk;
      const pages = exporter.pages(app.id, { ...dates, from: retainedFrom(dates.from, app, clock()), customerPk });
      return streamed(
        (async function* () {
          if (format.header) yield format.header;
          for await (const page of pages) yield page.map(format.line).join("");
        })(),
        {
          "content-type": format.contentType,
          "content-disposition": `attachment; filename="trackd-events-${app.id}.${format.extension}"`,
          // Where the app's history starts when it has a retention period (README, "Data retention").
          ...(app.retentionDays === null ? {} : { "x-trackd-retained-since": retainedSince(app, clock())! }),
        },
      );
    })
    .get("/v1/api/customers/:customerId/export", async ({ params, query, app }) => {
      const { by } = validateQuery(customerQuery, query);
      const customer = await customers.findOr404(app.id, params.customerId, by);
      const head = {
        exportedAt: toIso(clock()),
        customer: await customers.view(customer),
        eventCounts: await customers.eventCounts(customer.pk, clock()),
        retainedSince: retainedSince(app, clock()),
      };
      const pages = exporter.pages(app.id, { customerPk: customer.pk, from: retainedFrom(undefined, app, clock()) });
      return streamed(
        (async function* () {
          yield `${JSON.stringify(head).slice(0, -1)},"events":[`;
          let first = true;
          for await (const page of pages) {
            yield (first ? "\n" : ",\n") + page.map(eventJson).join(",\n");
            first = false;
          }
          yield "\n]}\n";
        })(),
        {
          "content-type": "application/json",
          "content-disposition": `attachment; filename="trackd-customer-${safeFileName(customer.customerId ?? customer.uid ?? "export")}.json"`,
        },
      );
    });
}
