// What an API key may do. Shared by the keys (apps/), every route's auth check and the OpenAPI
// document's security requirements, so it sits below all of them.
/** What a key may do: ingest (the write routes), read (the read routes), admin (erasure). */
export const SCOPES = ["ingest", "read", "admin"] as const;
export type Scope = (typeof SCOPES)[number];
