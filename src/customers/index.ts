import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import type { AppsService } from "../apps/service";
import { AppError } from "../errors";
import { compile, validateQuery } from "../http/validate";
import { CustomerQuery } from "./model";
import type { CustomersService } from "./service";

const customerQuery = compile(CustomerQuery);

export function customerRoutes(deps: { apps: AppsService; customers: CustomersService }) {
  const { customers } = deps;
  return new Elysia({ name: "customers" })
    .use(apiKeyAuth(deps.apps, "read"))
    .get("/v1/api/customers/:customerId", ({ params, query, app }) => {
      const { by = "customerId" } = validateQuery(customerQuery, query);
      const customer = customers.find(app.id, params.customerId, by);
      if (!customer) throw new AppError("NOT_FOUND", `no customer with ${by} ${params.customerId}`);
      return customers.view(customer);
    });
}
