// api.js — the admin pages' only way to the server: the bearer token kept in sessionStorage (never in a URL),
// JSON in and out, the error envelope turned into an ApiError, and a 401 or 403 handed to the sign-in screen.

const TOKEN_KEY = 'comicbatch.admin.token';

export const auth = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set(token) { sessionStorage.setItem(TOKEN_KEY, token); },
  clear() { sessionStorage.removeItem(TOKEN_KEY); },
};

/** An error answer: `status`, the envelope's `code`, human `message`, `field` (validation), `details`. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || (status ? `HTTP ${status}` : 'The server could not be reached'));
    this.name = 'ApiError';
    this.status = status;
    this.code = (body && body.code) || (status ? 'HTTP' : 'NETWORK');
    this.details = (body && body.details) || null;
    this.field = this.details && this.details.field ? this.details.field : null;
  }
}

let unauthorized = () => {};

/** The sign-in screen's words for a token whose user is not (or no longer) an admin (403). */
export const NOT_ADMIN = 'That session belongs to a user who is not an admin.';

/** Sets what happens on a 401 or 403 (the shell shows the sign-in screen with the server's message). */
export function onUnauthorized(fn) { unauthorized = fn; }

/** Reports a 401 or 403 seen outside api() (the live stream). */
export function onUnauthorizedNow(message) { unauthorized(message); }

/** The Authorization header for the current token. */
export function authHeaders() {
  return { Authorization: `Bearer ${auth.token || ''}` };
}

function withQuery(path, query) {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * Calls the API. Resolves with the parsed body ({data, meta}); rejects with ApiError. A 401 (token not accepted)
 * or a 403 (the user lost the admin role mid-session; every route the pages call is admin-only) also calls the
 * unauthorized handler. `token` overrides the stored one (used by sign-in to check a token before keeping it).
 */
export async function api(method, path, { body, query, signal, token } = {}) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${token ?? auth.token ?? ''}` };
  const init = { method, headers, signal, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(withQuery(path, query), init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, null);
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (res.status === 401 && token === undefined) unauthorized((json && json.error) || 'Your token was not accepted.');
  if (res.status === 403 && token === undefined) unauthorized(NOT_ADMIN);
  if (!res.ok) throw new ApiError(res.status, json || { error: `HTTP ${res.status} ${res.statusText}`.trim() });
  return json || {};
}

let routes = null;

/** Whether this server answers `method path` (exact pattern, as in its route table: GET /api/v1/admin/routes). */
export async function endpointExists(method, path) {
  if (!routes) {
    routes = api('GET', '/api/v1/admin/routes')
      .then((r) => new Set((r.data || []).map((x) => `${x.method} ${x.path}`)))
      .catch((e) => { routes = null; throw e; });
  }
  return (await routes).has(`${method} ${path}`);
}
