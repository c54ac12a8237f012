// Who may use the console: a login by token (the admin or the read-only viewer token) that yields a signed session
// cookie, the CSRF token bound to that session, and the anonymous viewer of `http.console: public`.
// Stateless on purpose: any replica with the same tokens accepts the cookie; changing a token ends its sessions.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { secretMatcher } from '../http/secret-match.js';

export type Role = 'admin' | 'viewer';

export interface Session {
  role: Role;
  /** Who signed in (asked at login, recorded in the audit trail with every action). */
  name: string;
  /** Random per login: the CSRF token is derived from it. Empty for the anonymous viewer. */
  sid: string;
  /** Epoch ms. */
  expires: number;
}

export interface AuthOptions {
  adminToken: string | null;
  viewerToken: string | null;
  /** A token that signs in as admin once (npm start without http.adminToken), then is spent. */
  oneTimeAdminToken: string | null;
  /** `http.console: public`: pages are readable without signing in (actions still need the admin). */
  publicRead: boolean;
  now: () => number;
  sessionMs: number;
}

const b64 = (b: Buffer) => b.toString('base64url');
const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/** A name fit for the audit trail: printable, trimmed, 1 to 64 characters. */
export function validName(name: string): string | null {
  const n = name.trim();
  return n.length >= 1 && n.length <= 64 && !/[\p{Cc}\p{Cf}]/u.test(n) ? n : null;
}

export class ConsoleAuth {
  private readonly keys: Record<Role, Buffer | null>;
  private readonly matches: Array<{ role: Role; match: (t: string | undefined) => boolean }>;
  private oneTime: ((t: string | undefined) => boolean) | null;

  constructor(private readonly o: AuthOptions) {
    // The admin's signing key comes from its token; with only a one-time token, from a secret of this process.
    const adminBase = o.adminToken ?? (o.oneTimeAdminToken ? randomBytes(32).toString('hex') : null);
    this.keys = {
      admin: adminBase === null ? null : hmac(Buffer.from(adminBase), 'erp-sync console session admin'),
      viewer: o.viewerToken === null ? null : hmac(Buffer.from(o.viewerToken), 'erp-sync console session viewer'),
    };
    this.matches = [
      ...(o.adminToken ? [{ role: 'admin' as const, match: secretMatcher(o.adminToken) }] : []),
      ...(o.viewerToken ? [{ role: 'viewer' as const, match: secretMatcher(o.viewerToken) }] : []),
    ];
    this.oneTime = o.oneTimeAdminToken ? secretMatcher(o.oneTimeAdminToken) : null;
  }

  /** Whether anyone can sign in at all (a token is configured or a one-time token is unspent). */
  get canSignIn(): boolean {
    return this.matches.length > 0 || this.oneTime !== null;
  }

  /** The session a token opens (every matcher is tried: no early exit that tells which one failed), or null. */
  signIn(token: string, name: string): Session | null {
    const who = validName(name);
    const hits = this.matches.filter((m) => m.match(token)).map((m) => m.role);
    if (this.oneTime?.(token)) {
      this.oneTime = null; // spent: the log line that showed it opens nothing any more
      hits.push('admin');
    }
    const role = hits.includes('admin') ? 'admin' : hits[0];
    if (!role || !who) return null;
    return { role, name: who, sid: b64(randomBytes(18)), expires: this.o.now() + this.o.sessionMs };
  }

  cookieValue(s: Session): string {
    const payload = b64(Buffer.from(JSON.stringify({ r: s.role, n: s.name, s: s.sid, e: s.expires })));
    return `${payload}.${b64(hmac(this.keys[s.role]!, payload))}`;
  }

  /** The session a cookie carries when its signature holds and it has not expired; else the public viewer or null. */
  session(cookie: string | undefined): Session | null {
    return this.signed(cookie) ?? (this.o.publicRead ? { role: 'viewer', name: 'anonymous', sid: '', expires: Infinity } : null);
  }

  private signed(cookie: string | undefined): Session | null {
    const [payload, mac] = (cookie ?? '').split('.');
    if (!payload || !mac) return null;
    let claims: { r?: unknown; n?: unknown; s?: unknown; e?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return null;
    }
    const role = claims.r === 'admin' || claims.r === 'viewer' ? claims.r : null;
    const key = role && this.keys[role];
    const given = Buffer.from(mac, 'base64url');
    if (!key || given.length !== 32 || !timingSafeEqual(given, hmac(key, payload))) return null;
    if (typeof claims.e !== 'number' || claims.e <= this.o.now() || typeof claims.n !== 'string' || typeof claims.s !== 'string') return null;
    return { role: role!, name: claims.n, sid: claims.s, expires: claims.e };
  }

  /** The CSRF token of a session: forms carry it, every POST must present it. */
  csrfToken(s: Session): string {
    const key = this.keys[s.role];
    return key && s.sid ? b64(hmac(key, `csrf ${s.sid}`)) : '';
  }

  csrfValid(s: Session, given: string | undefined): boolean {
    const expected = this.csrfToken(s);
    if (!expected || !given) return false;
    const a = Buffer.from(expected);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
