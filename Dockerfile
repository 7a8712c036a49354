# Build with the same Bun version and the same build command as CI, then run the single
# binary on a glibc base (the binary needs glibc: distroless/static or scratch won't do).
FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY tsconfig.json drizzle.config.ts ./
COPY src ./src
COPY drizzle ./drizzle
# The PostgreSQL migrations: `bun run build` embeds them too (--asset=drizzle-pg).
COPY drizzle-pg ./drizzle-pg
RUN bun run build
# distroless has no shell to mkdir with: create the data folder here, owned by "nonroot", so a
# fresh named volume mounted on /data inherits an owner the server can write as.
RUN mkdir -p /out/data && chown 65532:65532 /out/data

FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /src/dist/trackd /usr/local/bin/trackd
COPY --from=build --chown=65532:65532 /out/data /data
# 0.0.0.0: reachable through the published port (outside the image the default is 127.0.0.1).
# A drain of at most 8 s fits in `docker stop`'s default 10 s grace period, leaving time to
# commit and close before SIGKILL; raise both together (README, Docker).
ENV NODE_ENV=production \
    TRACKD_DB=/data/trackd.db \
    TRACKD_HOST=0.0.0.0 \
    TRACKD_PORT=3000 \
    TRACKD_DRAIN_TIMEOUT=8
VOLUME /data
EXPOSE 3000
USER nonroot
# distroless has no shell or curl: the binary probes itself, on the port TRACKD_PORT names.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/trackd", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/trackd"]
CMD ["serve"]
