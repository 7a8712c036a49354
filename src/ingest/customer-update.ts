// The steps of POST /v1/api/events/customer-update (steps.ts has the model):
//   authenticate (the apiKeyAuth plugin, before the steps) → read → validate → write
import type { CustomerView } from "../customers/model";
import type { AppRow } from "../store/types";
import type { ErrorDetail } from "../errors";
import { compile, validate as check, validationError } from "../http/validate";
import { attributeProblems } from "./attributes";
import { CustomerUpdateInput } from "./model";
import { SINGLE_BODY_LIMIT } from "./pipeline";
import type { IngestService } from "./service";
import { readJson, type Step } from "./steps";

export interface CustomerUpdateRequest {
  request: Request;
  /** Set by authentication, before the steps. */
  app: AppRow;
  body?: unknown;
  input?: CustomerUpdateInput;
  customer?: CustomerView;
  warnings?: ErrorDetail[];
}

const customerUpdateInput = compile(CustomerUpdateInput);

export function customerRequest(request: Request, app: AppRow): CustomerUpdateRequest {
  return { request, app, body: undefined, input: undefined, customer: undefined, warnings: undefined };
}

export const read = readJson<CustomerUpdateRequest>(() => SINGLE_BODY_LIMIT);

/** The body's schema, then what the schema can't say: whom to update, and with what (400 naming each). */
export const validate: Step<CustomerUpdateRequest, "validate"> = {
  name: "validate",
  run(ctx) {
    const input = check(customerUpdateInput, ctx.body);
    const problems = attributeProblems([["/customerData", input.customerData], ["/user/data", input.user?.data]]);
    if (input.customerId === undefined && input.uid === undefined) {
      problems.push({ path: "/customerId", message: "customerId or uid is required to know which customer to update" });
    }
    if (input.customerData === undefined && input.customerEmail === undefined && input.user === undefined) {
      problems.push({ path: "/customerData", message: "nothing to update: send customerData, customerEmail or user" });
    }
    if (problems.length > 0) throw validationError(problems);
    ctx.input = input;
  },
};

/** Applies the update as one command, then reads the customer back as committed (counts included). */
export function write(ingest: Pick<IngestService, "updateCustomer">): Step<CustomerUpdateRequest, "write"> {
  return {
    name: "write",
    // Chained rather than async: see ONE_PROMISE in steps.ts.
    run: (ctx) =>
      ingest.updateCustomer(ctx.app.id, ctx.input!).then(({ customer, warnings }) => {
        ctx.customer = customer;
        ctx.warnings = warnings;
      }),
  };
}

/** The steps of /events/customer-update, in order, after authentication. */
export function customerUpdateSteps(ingest: Pick<IngestService, "updateCustomer">): readonly Step<CustomerUpdateRequest>[] {
  return [read, validate, write(ingest)];
}
