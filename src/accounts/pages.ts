// The sign-in and setup pages: plain server-rendered forms, usable before any script loads.
const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => escapes[c]!);

/** Pages may only load from, post to and be framed by this origin. */
export const PAGE_SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;background:#f5f6f8;color:#1d2330;margin:0;display:grid;place-items:center;min-height:100vh}
form{background:#fff;padding:28px 32px;border-radius:10px;box-shadow:0 1px 4px #0002;width:320px}
h1{font-size:20px;margin:0 0 4px}p{margin:0 0 16px;color:#556}label{display:block;margin:12px 0 4px;font-weight:600}
input{width:100%;box-sizing:border-box;padding:8px 10px;border:1px solid #c8ccd4;border-radius:6px;font:inherit}
button{margin-top:18px;width:100%;padding:9px;border:0;border-radius:6px;background:#2f5bea;color:#fff;font:inherit;font-weight:600;cursor:pointer}
.error{background:#fdecec;color:#8a1c1c;padding:8px 10px;border-radius:6px;margin:0 0 8px}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)} · trackd</title><link rel="icon" href="data:,"><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function loginPage(next: string, error?: string): string {
  return page(
    "Sign in",
    `<form method="post" action="/login">
<h1>trackd</h1><p>Sign in to the dashboard</p>
${error ? `<div class="error" role="alert">${escapeHtml(error)}</div>` : ""}
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>`,
  );
}

export function setupPage(token: string, error?: string): string {
  return page(
    "Set up",
    `<form method="post" action="/setup">
<h1>Welcome to trackd</h1><p>Create the first admin account.</p>
${error ? `<div class="error" role="alert">${escapeHtml(error)}</div>` : ""}
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required>
<button type="submit">Create admin</button></form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<form><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><a href="/login">Sign in</a></form>`);
}
