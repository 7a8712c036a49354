// postgres-js returns int8 (bigint columns, count(*)) and numeric (sum()) as strings unless the
// pool is told otherwise; the raw statements here convert where they read, so they give numbers
// whether or not the pool parses int8 (exact below 2^53, which ms times, keys and counts are).
export const num = (value: unknown): number => Number(value);
export const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
