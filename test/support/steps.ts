// For the tests of the write routes' steps (src/ingest/steps.ts): what a step refuses a request
// with, and a step list that notes which of its steps ran.
import { AppError } from "../../src/errors";
import { runSteps, type Step } from "../../src/ingest/service";

export interface Refusal {
  code: string;
  /** The details' paths, in order: the fields the refusal names. */
  paths: string[];
}

function refusalOf(error: unknown): Refusal {
  if (!(error instanceof AppError)) throw error;
  return { code: error.code, paths: (error.details ?? []).map((detail) => detail.path) };
}

/** The AppError `step` refuses `ctx` with; the test fails if the step lets it through. */
export async function refusal<Ctx>(step: Step<Ctx>, ctx: Ctx): Promise<Refusal> {
  try {
    await step.run(ctx);
  } catch (error) {
    return refusalOf(error);
  }
  throw new Error(`the ${step.name} step did not refuse`);
}

/**
 * Runs `steps` on `ctx` with the routes' own runner, noting each step's name as it starts: the
 * refusal it ends with (undefined when every step passed), and the steps that ran, the
 * refusing one last.
 */
export async function traceSteps<Ctx>(ctx: Ctx, steps: readonly Step<Ctx>[]): Promise<{ ran: string[]; refused?: Refusal }> {
  const ran: string[] = [];
  const traced = steps.map((step): Step<Ctx> => ({ name: step.name, run: (c) => (ran.push(step.name), step.run(c)) }));
  try {
    await runSteps(ctx, traced);
  } catch (error) {
    return { ran, refused: refusalOf(error) };
  }
  return { ran };
}
