// The Store (../types.ts) on SQLite: the statement modules of src/store/ behind the
// backend-neutral interface. Reads stay synchronous inside (bun:sqlite answers in microseconds
// and holds no connection to wait for) and are handed back as settled promises; writes are the
// applier's commands through the group-commit writer. Authentication's reads are served from the
// credentials cache (../cache.ts), which is SQLite's own business (PRAGMA data_version), and
// which is dropped once a command that changes keys or apps has committed.
import type { Db } from "../../db";
import { createAppCountReads } from "../app-counts";
import { createBillingStore } from "../billing";
import { credentialsCacheFor } from "../cache";
import type { Command, ResultOf } from "../commands";
import { createCredentialsStore } from "../credentials";
import { createCustomerList } from "../customer-list";
import { createCustomerReads } from "../customers";
import { createDatabaseProbe } from "../database";
import { createEventReads } from "../events";
import { createExporter, EXPORT_PAGE_SIZE, type ExportFilter } from "../export";
import { prepareRetentionApps } from "../retention";
import { createScoreStore } from "../scores";
import { createSessionsStore } from "../sessions";
import type { ApiKeyRow, AppRow, CustomerLookup, EventPageFilter, EventStat, Store } from "../types";
import { createUsersStore } from "../users";
import type { Writer } from "../writer";
import { CREDENTIAL_COMMANDS, createAdminHandlers } from "./admin";
import { createSqliteApplier } from "./applier";

export interface SqliteStore extends Store {
  /**
   * Runs an administrative command at once in its own transaction, outside the writer: for
   * callers that cannot await (the test harness's tenants). Never while a writer batch runs.
   */
  applyNow<C extends Extract<Command, { type: AdminType }>>(command: C): ResultOf<C>;
}

type AdminType = keyof ReturnType<typeof createAdminHandlers>;

const NOTHING = Promise.resolve(undefined);

/** Exactly the contract's shape: the stats rows carry their keys too. */
const eventStat = ({ event, count, firstSeen, lastSeen }: EventStat): EventStat => ({ event, count, firstSeen, lastSeen });

export function createSqliteStore({ db, writer, clock }: { db: Db; writer: Writer; clock: () => number }): SqliteStore {
  const applier = createSqliteApplier({ db, writer, clock });
  const admin = createAdminHandlers(db);
  const cache = credentialsCacheFor(db);
  const credentials = createCredentialsStore(db);
  const users = createUsersStore(db);
  const sessions = createSessionsStore(db);
  const customers = createCustomerReads(db);
  const list = createCustomerList(db);
  const events = createEventReads(db);
  const counts = createAppCountReads(db);
  const billing = createBillingStore(db);
  const scores = createScoreStore(db);
  const exporter = createExporter(db);
  const appsWithRetention = prepareRetentionApps(db);
  const probe = createDatabaseProbe(db);
  const lookups = { customerId: customers.byCustomerId, uid: customers.byUid, email: customers.byEmail };

  function loadKey(keyId: string): { key: ApiKeyRow; app: AppRow } | undefined {
    const key = credentials.keyById(keyId);
    const app = key && credentials.appById(key.appId);
    return app && { key, app };
  }

  // Authentication awaits this on every request: a cached row hands back the same settled
  // promise each time, so the hot path allocates none (a fresh promise and an async wrapper
  // per call measured ~0.2-0.3 µs more, a twentieth of a request's authentication).
  const settled = new WeakMap<object, Promise<{ key: ApiKeyRow; app: AppRow }>>();
  function settledKey(found: { key: ApiKeyRow; app: AppRow } | undefined) {
    if (!found) return NOTHING;
    let promise = settled.get(found);
    if (!promise) settled.set(found, (promise = Promise.resolve(found)));
    return promise;
  }

  return {
    queue: writer,
    apply<C extends Command>(command: C): Promise<ResultOf<C>> {
      const applied = applier.apply(command);
      if (!CREDENTIAL_COMMANDS.has(command.type)) return applied;
      // Dropped after the commit (not in the job): a read between the job and the commit would refill it with the old rows.
      return applied.finally(() => cache.clear());
    },
    applyNow<C extends Extract<Command, { type: AdminType }>>(command: C): ResultOf<C> {
      const handler = admin[command.type] as unknown as (command: C) => ResultOf<C>;
      const result = db.$client.transaction(() => handler(command))();
      if (CREDENTIAL_COMMANDS.has(command.type)) cache.clear();
      return result;
    },

    credentials: {
      keyWithApp: (keyId) => settledKey(cache.get(`key:${keyId}`, () => loadKey(keyId))),
      app: async (appId) => cache.get(`app:${appId}`, () => credentials.appById(appId)),
      key: async (keyId) => credentials.keyById(keyId),
      keysOf: async (appId) => credentials.keysOf(appId),
      allowedOriginLists: async () => cache.get("origins", () => credentials.allowedOriginLists()) ?? [],
      appsWithActiveKeys: async () => credentials.appsWithActiveKeys(),
      countApps: async () => credentials.countApps(),
    },

    accounts: {
      userByEmail: async (email) => users.byEmail(email),
      userById: async (id) => users.byId(id),
      listUsers: async () => users.list(),
      countUsers: async () => users.count(),
      countAdmins: async () => users.countAdmins(),
      session: async (tokenHash) => sessions.find(tokenHash),
    },

    customers: {
      find: async (appId: string, by: CustomerLookup, value: string) => lookups[by].get({ appId, value }),
      byPk: async (pk) => customers.byPk.get({ pk }),
      usersOf: async (customerPk) => customers.usersOf.all({ customerPk }),
      eventStats: async (pk) => customers.eventStats.all({ pk }).map(eventStat),
      recentByEvent: async (pk, since7, since30) => customers.recentByEvent.all({ pk, since7, since30 }),
      dailyCounts: async (pk, fromDay, toDay, event) =>
        event === undefined ? customers.dailyCounts.all({ pk, fromDay, toDay }) : customers.dailyCountsOfEvent.all({ pk, fromDay, toDay, event }),
    },

    customerList: {
      list: async (appId, filter, now) => list(appId, filter, now),
    },

    events: {
      async page(appId: string, filter: EventPageFilter) {
        const params = {
          appId,
          customerPk: filter.customerPk,
          userPk: filter.userPk,
          verified: filter.verified,
          event: filter.event,
          from: filter.from,
          to: filter.to,
          afterDate: filter.after?.eventDate,
          afterSeq: filter.after?.seq,
          limit: filter.limit,
        };
        return events.pageQuery(params).all(params);
      },
      userPk: async (customerPk, uid) => events.userByUid.get({ customerPk, uid })?.pk,
    },

    counts: {
      dailyCounts: async (appId, fromDay, toDay, event) =>
        event === undefined ? counts.dailyCounts.all({ appId, fromDay, toDay }) : counts.dailyCountsOfEvent.all({ appId, fromDay, toDay, event }),
      activeCustomers: async (appId, interval, fromDay, toDay) => counts.activeCustomers.all({ appId, interval, fromDay, toDay }),
      activeCustomersOfEvent: async (appId, event, fromDay, toDay) => counts.activeCustomersOfEvent.get({ appId, event, fromDay, toDay })?.count ?? 0,
      eventNames: async (appId) => counts.names.all({ appId }).map(eventStat),
      customersPerEvent: async (appId) => counts.customersPerEvent.all({ appId }),
      grades: async (appId) => counts.grades.get({ appId })!,
    },

    billing: {
      history: async (customerPk, page) =>
        billing.history({ customerPk, from: page.from, to: page.to, beforeAt: page.before?.at, beforePk: page.before?.pk, limit: page.limit }),
      subscriptionsOf: async (customerPk) => billing.subscriptionsOf(customerPk),
      lastPaymentKind: async (customerPk) => billing.lastPaymentKind(customerPk),
      findSubscription: async (appId, provider, subscriptionId) => billing.findSubscription(appId, provider, subscriptionId),
      figures: async (appId, from, to, atRisk) => billing.figures(appId, from, to, atRisk),
    },

    scores: {
      customerPks: async (appId) => scores.customerPks(appId),
      customersIn: async (range) => scores.customersIn(range),
      totals: async (range) => scores.totals(range),
      breadths: async (range) => scores.breadths(range),
      users: async (range) => scores.users(range),
      subscriptions: async (range) => scores.subscriptions(range),
      latestPayments: async (range) => scores.latestPayments(range),
      storedMedian: async (appId) => scores.storedMedian(appId),
      appsToScore: async (appId) => scores.appsToScore(appId),
    },

    export: {
      async *pages(appId: string, filter: ExportFilter, pageSize = EXPORT_PAGE_SIZE) {
        // The generator holds no statement between pages: each page is one query, so one given up
        // half way leaves nothing open.
        yield* exporter.pages(appId, filter, pageSize);
      },
      estimate: async (appId, filter) => exporter.estimate(appId, filter),
    },

    retention: {
      appsWithRetention: async () => appsWithRetention(),
    },

    database: {
      ping: async () => probe.ping(),
      bytes: async () => probe.bytes(),
    },
  };
}
