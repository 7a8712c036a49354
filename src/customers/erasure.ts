// Erasure (right to be forgotten): one store command removes the customer, its users, events,
// billing and every count derived from them, in one transaction that no event for the customer
// can interleave with (store/sqlite/applier.ts).
import { AppError } from "../errors";
import type { Applier, CustomerKey, ErasedCustomer } from "../store/commands";

export function createErasureService(applier: Applier) {
  return {
    /** What was removed; a 404 naming how it was looked up when there is no such customer. */
    async erase(appId: string, value: string, by: CustomerKey): Promise<ErasedCustomer> {
      const removed = await applier.apply({ type: "EraseCustomer", appId, by, value });
      if (!removed) throw new AppError("NOT_FOUND", `no customer with ${by} ${value}`);
      return removed;
    },
  };
}

export type ErasureService = ReturnType<typeof createErasureService>;
