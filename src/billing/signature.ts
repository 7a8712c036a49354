// Stripe-Signature: "t=<unix seconds>,v1=<hex>,v1=<hex>,v0=...". Each v1 is HMAC-SHA256 of
// "<t>.<raw body>" with the endpoint's secret; while a secret is being rolled Stripe sends one
// v1 per secret. Checked over the bytes as received: re-serialised JSON would not match.
import { createHmac, timingSafeEqual } from "node:crypto";

/** Stripe's own default: older signatures are replays. */
export const SIGNATURE_TOLERANCE_S = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifyStripeSignature(header: string | null, body: Uint8Array, secret: string, nowMs: number): SignatureCheck {
  if (!header) return { ok: false, reason: "missing Stripe-Signature header" };
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "t") timestamp = value;
    if (key === "v1" && value && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, "hex"));
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "Stripe-Signature has no timestamp (t=)" };
  if (signatures.length === 0) return { ok: false, reason: "Stripe-Signature has no v1 signature" };

  const expected = createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest();
  // Every candidate is compared, each in constant time: no early exit says which one matched.
  const matched = signatures.map((signature) => timingSafeEqual(signature, expected)).includes(true);
  if (!matched) return { ok: false, reason: "no v1 signature matches this body and the app's webhook secret" };

  const age = nowMs / 1000 - Number(timestamp);
  if (age > SIGNATURE_TOLERANCE_S) return { ok: false, reason: `signature timestamp is ${Math.round(age)} s old (tolerance ${SIGNATURE_TOLERANCE_S} s)` };
  if (age < -SIGNATURE_TOLERANCE_S) return { ok: false, reason: "signature timestamp is in the future" };
  return { ok: true };
}
