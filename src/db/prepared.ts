// A query whose WHERE depends on which filters a request gives can't be one prepared statement,
// and building it with Drizzle on every call is costly: ~200 µs for the events page with its two
// joins, against ~14 µs to run it (bench/README.md, "Reads during ingestion"). There are only a
// few combinations of filters, so each one is built once, with placeholders, and kept.

/**
 * Picks the query for `params`: `build` gets which of them are given (not undefined) and runs
 * once per combination; later calls with the same combination get the same query.
 */
export function preparedPerShape<K extends string, Q>(build: (present: Record<K, boolean>) => Q): (params: Partial<Record<K, unknown>>) => Q {
  const queries = new Map<string, Q>();
  return (params) => {
    const given = Object.keys(params)
      .filter((name) => params[name as K] !== undefined)
      .sort();
    const key = given.join();
    let query = queries.get(key);
    if (query === undefined) {
      const present = Object.fromEntries(given.map((name) => [name, true])) as Record<K, boolean>;
      queries.set(key, (query = build(present)));
    }
    return query;
  };
}
