import type { SessionInfo } from "../api";
export function SettingsPage(_: { appId: string; session: SessionInfo }) {
  return <p>Settings: coming next.</p>;
}
