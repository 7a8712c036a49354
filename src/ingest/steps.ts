// Every write route is an ordered list of named steps, as Plausible's ingestion pipeline(): a
// step reads what the steps before it left on the request's context and adds its own, or
// refuses the request by throwing an AppError (a code from errors.ts's closed set, with details
// that name the field). The first refusal ends the request and nothing after it runs, so a
// refused request stores nothing. Each route has its own context type; the steps it shares
// with another route (reading the body, the retention horizon, the write) are typed on the part
// of the context they need. Step lists are built once, when the routes are, never per request.
import { parseJson, readBodyBytes } from "../http/body";

/*
 * ONE_PROMISE: a step that only waits for one promise returns it, chained with .then, instead of
 * being an async function: each async frame costs its own promise and microtask ticks, and on
 * these routes' hot path that was about 0.2 µs per request (bench/routes.ts, and a focused
 * loop of the routes' cores: the runner's own frame costs about 0.5 µs).
 */
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
    // readJsonBody's two halves, chained: see ONE_PROMISE.
    run: (ctx) =>
      readBodyBytes(ctx.request, limitOf(ctx)).then((bytes) => {
        ctx.body = parseJson(bytes);
      }),
  };
}
