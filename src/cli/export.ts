// trackd export: the same stream as GET /v1/api/export, written to a file (or stdout) straight
// from the database, with a progress bar on stderr. It reads through its own connection, so it
// can run beside a live server (WAL: readers never block the writer).
import { renameSync, rmSync } from "node:fs";
import { createAppsService } from "../apps/service";
import { UsageError } from "../config";
import { createCustomersService } from "../customers/service";
import { parseDate } from "../dates";
import { formats } from "../export/format";
import { EXPORT_FORMATS, type ExportFormat } from "../export/model";
import { createExporter, type ExportFilter } from "../export/service";
import { dbOption, parseCommandArgs } from "./args";
import { openForCommand } from "./db";
import { progressBar } from "./progress";

export async function exportCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...dbOption,
    app: { type: "string" },
    out: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    format: { type: "string" },
    "customer-id": { type: "string" },
  });
  if (!values.app) throw new UsageError("export needs --app APP_ID");
  if (!values.out) throw new UsageError("export needs --out FILE (or --out - for stdout)");
  const format = formatOf(values.format, values.out);
  const range = { from: dateFlag("from", values.from), to: dateFlag("to", values.to) };
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) throw new UsageError("--to must not be before --from");

  const db = openForCommand(values, env, { mustExist: true });
  try {
    if (!createAppsService(db).findApp(values.app)) throw new UsageError(`no app with id ${values.app} (see 'trackd apps list')`);
    const filter: ExportFilter = { ...range };
    if (values["customer-id"] !== undefined) {
      const customer = createCustomersService(db).find(values.app, values["customer-id"]);
      if (!customer) throw new UsageError(`no customer with customerId ${values["customer-id"]} in app ${values.app}`);
      filter.customerPk = customer.pk;
    }
    const exporter = createExporter(db.$client);
    const toStdout = values.out === "-";
    // Written beside the target and renamed at the end: a failed export never looks complete.
    const partial = `${values.out}.partial`;
    const sink = toStdout ? Bun.stdout.writer() : Bun.file(partial).writer();
    const progress = progressBar("exporting", exporter.estimate(values.app, filter));
    let exported = 0;
    try {
      sink.write(formats[format].header);
      for (const page of exporter.pages(values.app, filter)) {
        sink.write(page.map(formats[format].line).join(""));
        await sink.flush();
        exported += page.length;
        progress.update(exported);
      }
      await sink.end();
    } catch (error) {
      if (!toStdout) rmSync(partial, { force: true });
      throw error;
    }
    if (!toStdout) renameSync(partial, values.out);
    const seconds = progress.finish();
    console.error(
      `exported ${exported} events to ${toStdout ? "stdout" : values.out} as ${format} in ${seconds.toFixed(1)} s (${Math.round(exported / Math.max(seconds, 0.001))} events/s)`,
    );
    return 0;
  } finally {
    db.$client.close();
  }
}

/** --format, else the --out file's extension (.csv), else NDJSON. */
function formatOf(flag: string | undefined, out: string): ExportFormat {
  if (flag === undefined) return out.toLowerCase().endsWith(".csv") ? "csv" : "ndjson";
  if (!(EXPORT_FORMATS as readonly string[]).includes(flag)) throw new UsageError(`--format must be ${EXPORT_FORMATS.join(" or ")}, got "${flag}"`);
  return flag as ExportFormat;
}

function dateFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseDate(value, `--${flag}`);
  if (!parsed.ok) throw new UsageError(parsed.message);
  return parsed.ms;
}
