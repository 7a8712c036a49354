// Every request gets one id, sent back as x-request-id on every response and written in the
// log lines about it, so that a user holding a reply can find its details. A sane incoming id
// (a proxy's or the client's) is kept so that one id follows a request through every hop.
const SANE = /^[A-Za-z0-9._:-]{1,128}$/;
const ids = new WeakMap<Request, string>();

/** The request's id: decided once per request, the same wherever it is asked for. */
export function requestIdOf(request: Request): string {
  let id = ids.get(request);
  if (id === undefined) {
    const incoming = request.headers.get("x-request-id");
    id = incoming !== null && SANE.test(incoming) ? incoming : `req_${Bun.randomUUIDv7()}`;
    ids.set(request, id);
  }
  return id;
}
