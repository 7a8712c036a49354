// trackd export: the same stream as GET /v1/api/export, written to a file (or stdout) straight
// from the database, with a progress bar on stderr. It reads through its own connection, so it
// can run beside a live server (WAL: readers never block the writer).
import { renameSync, rmSync } from "node:fs";
import { UsageError } from "../config";
import { createCustomersService } from "../customers/service";
import { parseDate } from "../dates";
import { formats } from "../export/format";
import { EXPORT_FORMATS, type ExportFormat } from "../export/model";
import type { ExportFilter } from "../store/types";
import { CommandError, dbOption, parseCommandArgs } from "./args";
import { openStoreForCommand, requireApp } from "./db";
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

  const { store, close } = await openStoreForCommand(values, env, { command: "export", mustExist: true });
  try {
    await requireApp(store, values.app);
    const filter: ExportFilter = { ...range };
    if (values["customer-id"] !== undefined) {
      const customer = await createCustomersService(store).find(values.app, values["customer-id"]);
      if (!customer) throw new CommandError(`no customer with customerId ${values["customer-id"]} in app ${values.app}`);
      filter.customerPk = customer.pk;
    }
    const exporter = store.export;
    const toStdout = values.out === "-";
    // Written beside the target and renamed at the end: a failed export never looks complete.
    const partial = `${values.out}.partial`;
    const sink = toStdout ? stdoutSink() : fileSink(partial);
    const progress = progressBar("exporting", await exporter.estimate(values.app, filter));
    let exported = 0;
    try {
      await sink.write(formats[format].header);
      for await (const page of exporter.pages(values.app, filter)) {
        await sink.write(page.map(formats[format].line).join(""));
        exported += page.length;
        progress.update(exported);
      }
      await sink.end();
    } catch (error) {
      // The reader went away (`trackd export --out - | head`): that ends the export, as it
      // ends any Unix filter, quietly and successfully.
      if (toStdout && (error as { code?: string }).code === "EPIPE") {
        progress.finish();
        return 0;
      }
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
    await close();
  }
}

interface Sink {
  write(text: string): Promise<void>;
  end(): Promise<void>;
}

function fileSink(path: string): Sink {
  const writer = Bun.file(path).writer();
  return {
    async write(text) {
      writer.write(text);
      await writer.flush();
    },
    async end() {
      await writer.end();
    },
  };
}

/**
 * process.stdout, each write awaited. Not Bun.stdout.writer(): once the reader of a pipe has
 * gone, its flush() resolved 0 for every later page and the EPIPE surfaced as an uncaught error
 * after the loop had reported the export complete (Bun 1.4.5).
 */
function stdoutSink(): Sink {
  // The failed write's callback carries the error; this only keeps the stream's own "error"
  // event from being unhandled.
  process.stdout.on("error", () => {});
  return {
    write: (text) => new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve()))),
    end: async () => {},
  };
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
