// A query whose WHERE depends on which filters a request gives can't be one prepared statement,
// and building it with Drizzle on every call is costly: ~200 µs for the events page with its two
// joins, against ~14 µs to run it (bench/README.md, "Reads during ingestion"). There are only a
// few combinations of filters, so each one is built once, with placeholders, and kept.

/** `build` runs once per combination of `present` flags; later calls get the same query. */
export function preparedPerShape<K extends string, Q>(build: (present: Record<K, boolean>) => Q): (present: Record<K, boolean>) => Q {
  const queries = new Map<string, Q>();
  return (present) => {
    const key = Object.entries(present)
      .filter(([, on]) => on)
      .map(([name]) => name)
      .sort()
      .join();
    let query = queries.get(key);
    if (query === undefined) queries.set(key, (query = build(present)));
    return query;
  };
}
