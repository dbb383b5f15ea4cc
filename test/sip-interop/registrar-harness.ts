/**
 * A registrar served on real UDP and TCP sockets (the SIP core's transports) for interop tests with SIPp
 * and baresip. It answers REGISTER through `Registrar`, OPTIONS with 200, anything else with 501, and
 * absorbs request retransmissions by replaying the answer kept per Via branch (the job of a server
 * transaction, which the UA of the SIP core does in production).
 */
import { pino } from 'pino';
import { StaticCredentialProvider } from '../../src/sip/auth/credential-provider.js';
import type { DigestAlgorithm } from '../../src/sip/auth/digest-algorithm.js';
import { DigestServer } from '../../src/sip/auth/digest-server.js';
import { type SipRequest, SipResponse } from '../../src/sip/message/sip-message.js';
import { LocationService } from '../../src/sip/registrar/location-service.js';
import { Registrar, type RegistrarAnswer } from '../../src/sip/registrar/registrar.js';
import { TcpTransport } from '../../src/sip/transport/tcp-transport.js';
import type { Destination, Transport, TransportDelegate } from '../../src/sip/transport/transport-types.js';
import { UdpTransport } from '../../src/sip/transport/udp-transport.js';
import { SystemClock } from '../../src/util/clock.js';
import { freePorts } from '../support/sip-peers.js';

export interface RegistrarHarness {
  readonly port: number;
  readonly registrar: Registrar;
  readonly location: LocationService;
  readonly auth: DigestServer;
  /** Every answer given, in order (method, status, code). */
  readonly answers: Array<{
    method: string;
    status: number;
    code: string | undefined;
    user: string | undefined;
  }>;
  close(): Promise<void>;
}

export async function startRegistrarHarness(options: {
  users: Record<string, string>;
  algorithms?: DigestAlgorithm[];
  lockout?: { maxFailures?: number; windowMs?: number; lockoutMs?: number };
}): Promise<RegistrarHarness> {
  const clock = new SystemClock();
  const location = new LocationService({ clock });
  const auth = new DigestServer({
    clock,
    realm: 'earshot',
    credentials: new StaticCredentialProvider(options.users),
    ...(options.algorithms ? { algorithms: options.algorithms } : {}),
    ...(options.lockout ? { lockout: options.lockout } : {}),
  });
  const registrar = new Registrar({ clock, location, auth, logger: pino({ level: 'silent' }) });
  const answers: RegistrarHarness['answers'] = [];
  const byBranch = new Map<string, Buffer>();
  const transports: Transport[] = [];

  const send = (req: SipRequest, data: Buffer) => {
    const src = req.source;
    const transport = transports.find((t) => t.name === src?.transport);
    if (!src || !transport) return;
    const dest: Destination = {
      transport: transport.name,
      address: src.address,
      port: src.port,
      connectionId: src.connectionId,
    };
    transport.send(dest, data).catch(() => undefined);
  };

  const delegate: TransportDelegate = {
    onMessage(message) {
      if (!message.isRequest || message.method === 'ACK') return;
      const req = message;
      const branch = req.topVia?.params.get('branch') ?? '';
      const kept = byBranch.get(`${branch}:${req.method}`);
      if (kept) {
        send(req, kept);
        return;
      }
      const reply = (a: RegistrarAnswer) => {
        const res = respond(req, a);
        const data = res.toBuffer();
        byBranch.set(`${branch}:${req.method}`, data);
        answers.push({
          method: req.method,
          status: a.status,
          code: a.code,
          user: req.to.uri.kind === 'sip' ? req.to.uri.user : undefined,
        });
        send(req, data);
      };
      if (req.method === 'REGISTER') void registrar.handle(req).then(reply);
      else if (req.method === 'OPTIONS') reply({ status: 200, reason: 'OK', headers: [], code: undefined });
      else reply({ status: 501, reason: 'Not Implemented', headers: [], code: undefined });
    },
    onParseError() {},
  };
  const [port] = (await freePorts(1)) as [number];
  const common = { host: '127.0.0.1', port, maxMessageSize: 65_535, delegate };
  transports.push(await UdpTransport.listen(common), await TcpTransport.listen(common));
  return {
    port,
    registrar,
    location,
    auth,
    answers,
    async close() {
      location.close();
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}

/** RFC 3261 §8.2.6.2: copy Via, From, Call-ID, CSeq, To (adding a tag), then the registrar's headers. */
function respond(req: SipRequest, a: RegistrarAnswer): SipResponse {
  const res = new SipResponse(a.status, a.reason);
  res.via = req.via;
  res.from = req.from;
  res.to = { ...req.to, params: new Map(req.to.params) };
  if (!res.to.params.has('tag')) res.to.params.set('tag', 'es-reg');
  res.callId = req.callId;
  res.cseq = req.cseq;
  for (const [name, value] of a.headers) res.add(name, value);
  return res;
}
