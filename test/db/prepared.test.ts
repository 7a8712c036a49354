// preparedPerShape: one query per combination of filters, built on first use.
import { expect, test } from "bun:test";
import { preparedPerShape } from "../../src/db/prepared";

test("builds each combination once and tells combinations apart", () => {
  const built: string[] = [];
  const query = preparedPerShape((present: Record<"from" | "to" | "before", boolean>) => {
    const shape = Object.entries(present)
      .filter(([, on]) => on)
      .map(([name]) => name)
      .join("+");
    built.push(shape);
    return { shape };
  });

  expect(query({ from: true, to: false, before: false }).shape).toBe("from");
  expect(query({ from: false, to: true, before: false }).shape).toBe("to");
  expect(query({ from: false, to: false, before: false }).shape).toBe("");
  expect(query({ from: true, to: true, before: false }).shape).toBe("from+to");
  // Asked again, in another key order: the query built the first time.
  const again = query({ to: false, before: false, from: true });
  expect(again).toBe(query({ from: true, to: false, before: false }));
  expect(again.shape).toBe("from");
  expect(built).toEqual(["from", "to", "", "from+to"]);
});
