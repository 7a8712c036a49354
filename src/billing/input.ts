// POST /v1/api/subscriptions: the validated body → SubscriptionState, with every date problem
// reported at once, each at its own path.
import { happenedAtProblem, parseDate } from "../dates";
import type { ErrorDetail } from "../errors";
import { validationError } from "../http/validate";
import type { SubscriptionInput, SubscriptionState } from "./model";
import { itemMrr } from "../mrr";

const DATE_FIELDS = ["trialStart", "trialEnd", "currentPeriodEnd", "canceledAt", "endedAt", "startedAt"] as const;
export const CUSTOM_PROVIDER = "custom";

export function subscriptionFromInput(input: SubscriptionInput, now: number): { state: SubscriptionState; at: number } {
  const problems: ErrorDetail[] = [];
  const date = (value: string | number | null | undefined, path: string): number | null => {
    if (value === null || value === undefined) return null;
    const parsed = parseDate(value, path.slice(1).replaceAll("/", "."));
    if (parsed.ok) return parsed.ms;
    problems.push({ path, message: parsed.message });
    return null;
  };
  const dates = Object.fromEntries(DATE_FIELDS.map((field) => [field, date(input[field], `/${field}`)])) as Record<(typeof DATE_FIELDS)[number], number | null>;
  const discounts = (input.discounts ?? []).map((discount, index) => {
    if (discount.percentOff === undefined && discount.amountOff === undefined) {
      problems.push({ path: `/discounts/${index}`, message: `discounts.${index} needs percentOff or amountOff` });
    }
    return { percentOff: discount.percentOff ?? null, amountOff: discount.amountOff ?? null, end: date(discount.end, `/discounts/${index}/end`) };
  });
  const at = date(input.updatedAt, "/updatedAt") ?? now;
  const atProblem = input.updatedAt === undefined ? undefined : happenedAtProblem(at, now, "updatedAt");
  if (atProblem !== undefined) problems.push({ path: "/updatedAt", message: atProblem });
  if (problems.length > 0) throw validationError(problems);

  const items = input.items.map((item) => {
    const line = {
      priceId: item.priceId ?? null,
      productId: item.productId ?? null,
      productName: item.productName ?? null,
      quantity: item.quantity ?? 1,
      unitAmount: item.unitAmount,
      interval: item.interval,
      intervalCount: item.intervalCount ?? 1,
    };
    return { ...line, mrr: itemMrr(line) };
  });
  return {
    at,
    state: {
      provider: input.provider ?? CUSTOM_PROVIDER,
      subscriptionId: input.subscriptionId,
      customerId: input.customerId,
      status: input.status,
      currency: input.currency.toLowerCase(),
      items,
      discounts,
      cancelAtPeriodEnd: input.cancelAtPeriodEnd ?? false,
      ...dates,
    },
  };
}
