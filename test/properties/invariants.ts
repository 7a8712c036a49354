// What every answer to a generated request must satisfy: never a 5xx; a 4xx is the one error
// shape, naming a field (VALIDATION_FAILED lists where) or a reason; a refused request leaves
// every row of every table as it was.
import { expect } from "bun:test";
import type { Harness } from "../helpers";
import { expectErrorShape, fingerprint } from "../hardening/support";

export async function checkAnswer(h: Harness, request: () => Promise<Response>): Promise<{ status: number; body: any }> {
  const before = await fingerprint(h);
  const response = await request();
  const text = await response.text();
  const context = `${response.status} ${text.slice(0, 300)}`;
  expect(response.status, context).toBeLessThan(500);
  expect(response.headers.get("x-request-id"), context).toBeTruthy();
  if (response.status >= 400) {
    const error = expectErrorShape(JSON.parse(text));
    if (error.code === "VALIDATION_FAILED") expect(error.details?.length, context).toBeGreaterThan(0);
    expect(await fingerprint(h), `a refused request changed rows: ${context}`).toBe(before);
  }
  return { status: response.status, body: text.length > 0 && response.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(text) : text };
}
