// The ceiling: the least an HTTP server on this runtime can do for the same request, parse the
// JSON body and answer 201. Nothing trackd does can be faster than this.
const port = Number(process.argv[2]);
Bun.serve({
  port,
  hostname: "127.0.0.1",
  async fetch(request) {
    if (request.method === "GET") return Response.json({ ok: true });
    await request.json();
    return Response.json({ ok: true, id: "evt_0" }, { status: 201 });
  },
});
