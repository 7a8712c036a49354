// preparedPerShape: one query per combination of given parameters, built on first use.
import { expect, test } from "bun:test";
import { preparedPerShape } from "../../src/db/prepared";

test("builds each combination of given parameters once and tells combinations apart", () => {
  const built: string[] = [];
  const query = preparedPerShape((present: Record<"from" | "to" | "before", boolean>) => {
    const shape = (["from", "to", "before"] as const).filter((name) => present[name]).join("+");
    built.push(shape);
    return { shape };
  });

  expect(query({ from: 1, to: undefined }).shape).toBe("from");
  expect(query({ from: undefined, to: 2 }).shape).toBe("to");
  expect(query({}).shape).toBe("");
  expect(query({ from: 1, to: 2, before: undefined }).shape).toBe("from+to");
  // Other values, another key order, null (given, unlike undefined): the query built the first time.
  const again = query({ before: undefined, to: undefined, from: null });
  expect(again).toBe(query({ from: 5 }));
  expect(again.shape).toBe("from");
  expect(built).toEqual(["from", "to", "", "from+to"]);
});
