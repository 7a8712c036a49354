// The administrative commands (apps, keys, dashboard accounts and sessions) on SQLite: one or
// two statements each, run as writer jobs like every write, so the CLI and the server share one
// code path and a change commits with the batch it joined.
import type { Db } from "../../db";
import type { AdminCommand, CommandResults } from "../commands";
import { createCredentialsStore } from "../credentials";
import { createSessionsStore } from "../sessions";
import { createUsersStore } from "../users";

export type AdminHandlers = { [T in AdminCommand["type"]]: (command: Extract<AdminCommand, { type: T }>) => CommandResults[T] };

// Shared with the PostgreSQL store (../commands.ts).
export { CREDENTIAL_COMMANDS } from "../commands";

export function createAdminHandlers(db: Db): AdminHandlers {
  const credentials = createCredentialsStore(db);
  const users = createUsersStore(db);
  const sessions = createSessionsStore(db);
  return {
    CreateApp: ({ app, key }) => credentials.insertAppWithKeyInTransaction(app, key),
    CreateKey({ key }) {
      if (!credentials.appById(key.appId)) return false;
      credentials.insertKey(key);
      return true;
    },
    RevokeKey: ({ keyId, at, appId }) => credentials.revokeKey(keyId, at, appId),
    UpdateAppSettings: ({ appId, fields }) => credentials.updateSettings(appId, fields) ?? null,
    SetSigningSecret: ({ appId, signingSecret }) => credentials.setSigningSecret(appId, signingSecret),
    CreateUser: ({ user }) => users.insert({ ...user, now: user.createdAt }),
    SetUserPassword({ userId, passwordHash, at }) {
      const changed = users.setPassword(userId, passwordHash, at);
      if (changed) sessions.removeForUser(userId);
      return changed;
    },
    SetUserRole: ({ userId, role, at }) => users.setRole(userId, role, at),
    RemoveUser: ({ userId }) => users.remove(userId),
    StartSession: ({ session }) => sessions.insert(session),
    TouchSession: ({ tokenHash, at }) => sessions.touch(tokenHash, at),
    EndSession: ({ tokenHash }) => sessions.remove(tokenHash),
    RemoveExpiredSessions: ({ idleBefore, createdBefore }) => sessions.removeExpired(idleBefore, createdBefore),
  };
}
