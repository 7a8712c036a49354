// Every write route is an ordered list of named steps, as Plausible's ingestion pipeline(): a
// step reads what the steps before it left on the request's context and adds its own, or
// refuses the request by throwing an AppError (a code from errors.ts's closed set, with details
// that name the field). The first refusal ends the request and nothing after it runs, so a
// refused request stores nothing. Each route has its own context type; the steps it shares
// with another route (reading the body, the retention horizon, the write) are typed on the part
// of the context they need. Step lists are built once, when the routes are, never per request.
import { readJsonBody } from "../http/body";

export interface Step<Ctx, Name extends string = string> {
  readonly name: Name;
  /** Fills its part of the context, or throws an AppError that refuses the request. */
  run(ctx: Ctx): void | Promise<void>;
}

/** Runs the steps in order; the first that throws ends the request, and nothing after it runs. */
export async function runSteps<Ctx>(ctx: Ctx, steps: readonly Step<Ctx>[]): Promise<Ctx> {
  for (const step of steps) {
    const pending = step.run(ctx);
    if (pending) await pending; // a synchronous step costs no microtask
  }
  return ctx;
}

/**
 * Reads the JSON body whatever its content type, refusing one over `limitOf(ctx)` bytes while
 * it streams (PAYLOAD_TOO_LARGE), and one that is not UTF-8 JSON (INVALID_JSON).
 */
export function readJson<Ctx extends { request: Request; body?: unknown }>(limitOf: (ctx: Ctx) => number): Step<Ctx, "read"> {
  return {
    name: "read",
    async run(ctx) {
      ctx.body = await readJsonBody(ctx.request, limitOf(ctx));
    },
  };
}
