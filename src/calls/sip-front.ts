import type { Server } from 'node:http';
import type pino from 'pino';
import type { CredentialProvider, DigestCredentials } from '../sip/auth/credential-provider.js';
import type { DigestAlgorithm } from '../sip/auth/digest-algorithm.js';
import { DigestServer } from '../sip/auth/digest-server.js';
import { type Binding, LocationService } from '../sip/registrar/location-service.js';
import { Registrar } from '../sip/registrar/registrar.js';
import type { TransportName } from '../sip/transport/transport-types.js';
import { SipUserAgent } from '../sip/ua/sip-user-agent.js';
import type { Db } from '../store/database.js';
import { findSipCredentials } from '../store/phone.repository.js';
import { removeRegistration, upsertRegistration } from '../store/registration.repository.js';
import type { Clock } from '../util/clock.js';

/** The registrar's credentials: the store's `sip` phones (HA1s only, never passwords). */
export class StoreCredentialProvider implements CredentialProvider {
  constructor(private readonly db: Db) {}

  async lookup(username: string, realm: string): Promise<DigestCredentials | undefined> {
    const c = await findSipCredentials(this.db, username);
    if (!c || c.realm !== realm) return undefined;
    return { ha1: { MD5: c.ha1Md5, 'SHA-256': c.ha1Sha256 } };
  }
}

export interface SipFrontOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: pino.Logger;
  readonly transports?: readonly TransportName[];
  readonly httpServer?: Server;
  /**
   * Digest algorithms offered, most preferred first (default SHA-256, MD5 per RFC 8760). baresip 1.0
   * fails a registration offered SHA-256 at all: deployments with such phones pass ['MD5'].
   */
  readonly algorithms?: readonly DigestAlgorithm[];
}

export interface SipFront {
  readonly ua: SipUserAgent;
  readonly location: LocationService;
  readonly registrar: Registrar;
  close(): Promise<void>;
}

/**
 * Earshot's SIP side: the UA core on `host:port`, the registrar (digest realm = `host`, as
 * provisioning computes HA1 with it) as `REGISTER` middleware, and the location service mirrored
 * into the store's `sip_registrations` as bindings come and go. INVITEs are left to call control
 * (`ua.onInvite(…)`).
 */
export async function startSipFront(o: SipFrontOptions): Promise<SipFront> {
  const log = o.logger.child({ module: 'calls.sip-front' });
  const ua = await SipUserAgent.start({
    host: o.host,
    port: o.port,
    transports: o.transports ?? ['udp', 'tcp'],
    clock: o.clock,
    logger: o.logger,
    ...(o.httpServer ? { httpServer: o.httpServer } : {}),
  });
  const location = new LocationService({ clock: o.clock });
  const auth = new DigestServer({
    clock: o.clock,
    realm: o.host,
    credentials: new StoreCredentialProvider(o.db),
    ...(o.algorithms ? { algorithms: o.algorithms } : {}),
    logger: o.logger,
  });
  const registrar = new Registrar({ clock: o.clock, location, auth, logger: o.logger });
  ua.use('REGISTER', async (req, res) => {
    const a = await registrar.handle(req);
    const headers: Record<string, string[]> = {};
    for (const [name, value] of a.headers) {
      const key = name.toLowerCase();
      headers[key] = [...(headers[key] ?? []), value];
    }
    res.send(a.status, { reason: a.reason, headers });
  });
  // "Registrations … persisted through the store as they change."
  const writes = new Set<Promise<void>>();
  const persist = (p: Promise<void>) => {
    const q = p.catch((err) => log.warn({ err }, 'registration not persisted'));
    writes.add(q);
    void q.finally(() => writes.delete(q));
  };
  const onBound = (b: Binding) =>
    persist(
      (async () => {
        const user = /^sips?:([^@]+)@/.exec(b.aor)?.[1];
        const cred = user ? await findSipCredentials(o.db, decodeURIComponent(user)) : undefined;
        if (!cred) return;
        await upsertRegistration(o.db, {
          aor: b.aor,
          contact: b.contact,
          orgId: cred.orgId,
          userId: cred.userId,
          callId: b.callId,
          cseq: b.cseq,
          expiresAt: new Date(b.expiresAt).toISOString(),
          source: JSON.stringify(b.source ?? null),
        });
      })(),
    );
  const onUnbound = (b: Binding) => persist(removeRegistration(o.db, b.aor, b.contact));
  location.on('bound', onBound);
  location.on('unbound', onUnbound);
  let closing: Promise<void> | undefined;
  return {
    ua,
    location,
    registrar,
    close() {
      closing ??= (async () => {
        location.off('bound', onBound);
        location.off('unbound', onUnbound);
        location.close();
        await ua.close();
        await Promise.allSettled([...writes]);
      })();
      return closing;
    },
  };
}
