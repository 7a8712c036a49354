// The layering rule (README, "Storage layer"), checked in CI by `bun run lint:deps`:
//
//   top       src/app.ts, src/index.ts, src/cli/, src/openapi/ (they assemble the features)
//   features  one folder each (apps, billing, customers, events, ingest, …)
//   store     src/store/ (every statement), over src/db/ (connection, schema, migrations);
//             features see only its interface: types.ts (Store), commands.ts, shapes.ts
//   shared    src/*.ts helpers (dates, periods, errors, charts, grades, …) and src/http/
//
// Nothing imports a layer above its own, and the feature folders are layered among themselves
// too: no loop of folders (issue 18), checked per folder as well as per file. A feature's public
// surface is its index.ts (the routes plugin), service.ts, model.ts and openapi.ts, plus
// apps/auth.ts (the key-checking plugin every route uses); another feature imports nothing else
// of it.
const FEATURES = "(apps|billing|client|customers|dev|events|export|health|ingest|metrics|monitoring|retention|scoring|sdk|segment|accounts|dashboard|live|settings)";
const TOP = "^src/(app\\.ts|index\\.ts|cli/|openapi/)";
const SHARED_FILES = "^src/(?!app\\.ts|index\\.ts|config\\.ts)[^/]+\\.ts$";

module.exports = {
  forbidden: [
    {
      name: "store-imports-no-feature",
      comment: "The store is below every feature: it may use src/db and the shared helpers only.",
      severity: "error",
      from: { path: "^src/(store|db)/" },
      to: { path: [`^src/${FEATURES}/`, TOP, "^src/config\\.ts$"] },
    },
    {
      name: "db-below-store",
      comment: "src/db is connection, schema and migration plumbing: it never reaches up into the store.",
      severity: "error",
      from: { path: "^src/db/" },
      to: { path: "^src/store/" },
    },
    {
      name: "shared-imports-nothing-above",
      comment: "Shared helpers (src/*.ts, src/http/) sit below the store and every feature (the schema's row types excepted).",
      severity: "error",
      from: { path: [SHARED_FILES, "^src/http/"] },
      to: { path: [`^src/${FEATURES}/`, TOP, "^src/config\\.ts$", "^src/(store|db)/"], pathNot: "^src/db/schema\\.ts$" },
    },
    {
      name: "features-use-the-store-interface",
      comment:
        "Features reach storage through the backend-neutral Store only (src/store/types.ts, commands.ts, shapes.ts): never src/db, bun:sqlite, a backend (src/store/sqlite/) or a statement module, so that another backend (PostgreSQL) can be handed in.",
      severity: "error",
      from: { path: `^src/${FEATURES}/` },
      to: { path: ["^src/db/", "^bun:sqlite$", "^src/store/"], pathNot: "^src/store/(types|commands|shapes)\\.ts$" },
    },
    {
      name: "features-import-nothing-above",
      comment: "No feature imports the app, the CLI, the OpenAPI assembly or the config (parsed once, at the top, and handed down).",
      severity: "error",
      from: { path: `^src/${FEATURES}/` },
      to: { path: [TOP, "^src/config\\.ts$"] },
    },
    {
      name: "feature-internals-stay-inside",
      comment: "Another feature is reached through its public surface: index.ts, service.ts, model.ts, openapi.ts (and apps/auth.ts).",
      severity: "error",
      from: { path: `^src/${FEATURES}/` },
      to: {
        path: `^src/${FEATURES}/`,
        pathNot: [`^src/$1/`, `^src/${FEATURES}/(index|service|model|openapi)\\.ts$`, "^src/apps/auth\\.ts$"],
      },
    },
    {
      name: "no-circular",
      comment: "Modules that import each other, directly or round a loop, cannot be layered.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      // Files need not loop for their folders to: apps/service.ts -> scoring, scoring/service.ts ->
      // billing, billing/index.ts -> apps is no loop of files, yet no folder of the three is
      // below the others. Files directly in src/ all count as the folder src, which this rule
      // cannot see through; the rules above keep them out of any loop instead (shared files import
      // no feature; no feature imports the top files or config.ts).
      name: "no-circular-folders",
      comment: "Feature folders (and the store's, the db's, http's) form layers: no folder imports, through any chain, one that imports it back (issue 18).",
      severity: "error",
      scope: "folder",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/(sdk/browser\\.ts|dashboard/web/)" },
    // TypeScript 7 has no compiler API yet for dependency-cruiser to use: swc parses instead.
    parser: "swc",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    moduleSystems: ["es6"],
  },
};
