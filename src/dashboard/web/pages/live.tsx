export function LivePage(_: { appId: string }) {
  return <p>Live: coming next.</p>;
}
