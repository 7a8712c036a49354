// trackd's Prometheus metrics, in a registry of their own: one per createHttpApp, so every test gets
// fresh figures and nothing lives in a module singleton. prom-client's default collectors are
// left out on purpose: under Bun its event-loop-lag series are junk (STACK-NOTES).
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Store, WriterObserver } from "../store/types";
import { FastHistogram, TalliedCounter } from "./fast-metrics";

// Seconds. The write path answers in ~1-10 ms; commits can stall on a slow disk.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createMonitoring({ store }: { store: Pick<Store, "queue" | "database"> }) {
  const registry = new Registry();
  const registers = [registry];
  const probe = store.database;
  const writer = store.queue;

  const metrics = {
    // Sources: server, bulk, client, segment.
    // Per request: tallied in plain numbers (fast-metrics.ts).
    eventsStored: new TalliedCounter({ name: "trackd_events_stored_total", help: "Events newly stored, by app and source", labelNames: ["app", "source"], registers }),
    duplicates: new TalliedCounter({ name: "trackd_events_duplicate_total", help: "Events not stored because their messageId was seen before, by app and source", labelNames: ["app", "source"], registers }),
    segmentRejected: new Counter({
      name: "trackd_segment_messages_rejected_total",
      help: "Segment messages rejected inside a request (the others stored), by app and rejection code",
      labelNames: ["app", "code"],
      registers,
    }),
    rejected: new TalliedCounter({ name: "trackd_requests_rejected_total", help: "Requests answered with an error, by route pattern and error code", labelNames: ["route", "code"], registers }),
    httpDuration: new FastHistogram(
      "trackd_http_request_duration_seconds",
      "Time to answer a request (a streamed export: until its first byte), by method, route pattern and status",
      ["method", "route", "status"],
      LATENCY_BUCKETS,
      registers,
    ),
    batchSize: new Histogram({ name: "trackd_writer_batch_jobs", help: "Jobs per writer transaction (its count is the number of batches)", buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000], registers }),
    commitSeconds: new Histogram({ name: "trackd_writer_commit_seconds", help: "Time one writer transaction took, from BEGIN to COMMIT", buckets: LATENCY_BUCKETS, registers }),
    shed: new Counter({ name: "trackd_write_queue_shed_total", help: "Writes refused with 503 because the write queue was full", registers }),
    queueDepth: new Gauge({
      name: "trackd_write_queue_depth",
      help: "Events waiting for a commit",
      registers,
      collect() {
        this.set(writer.pending);
      },
    }),
    databaseBytes: new Gauge({
      name: "trackd_database_size_bytes",
      help: "Size of the SQLite database file (pages in use and free), without its -wal",
      registers,
      async collect() {
        this.set(await probe.bytes());
      },
    }),
    scoringSeconds: new Histogram({ name: "trackd_health_pass_duration_seconds", help: "Duration of one app's health scoring pass", buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300], registers }),
    webhooks: new Counter({ name: "trackd_webhooks_received_total", help: "Billing webhooks received, by provider and outcome", labelNames: ["provider", "outcome"], registers }),
  };

  const writerObserver: WriterObserver = {
    batch(jobs, seconds) {
      metrics.batchSize.observe(jobs);
      metrics.commitSeconds.observe(seconds);
    },
    shed: () => metrics.shed.inc(),
  };
  writer.observe(writerObserver);

  return {
    registry,
    ...metrics,
    /** The Prometheus text format, for GET /metrics. */
    scrape: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

export type Monitoring = ReturnType<typeof createMonitoring>;
