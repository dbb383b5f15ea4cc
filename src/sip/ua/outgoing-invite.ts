import { DigestClient, type DigestClientCredentials as DigestCredentials } from '../auth/digest-client.js';
import { Dialog, DialogState } from '../dialog/dialog.js';
import { type NameAddr, parseNameAddr } from '../message/name-addr.js';
import { SipRequest, type SipResponse } from '../message/sip-message.js';
import { parseUri, serializeUri, type Uri } from '../message/sip-uri.js';
import { sipError } from '../sip-errors.js';
import type { Destination, TransportName } from '../transport/transport-types.js';
import { buildRequest } from './request-builder.js';
import type { UaCore } from './ua-core.js';

export interface InviteOptions {
  /** The SDP offer. */
  readonly sdp?: string;
  /** From (default `sip:earshot@<host>`); a tag is added. */
  readonly from?: string;
  /** To (default: the target URI). */
  readonly to?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * CONTRACT.md §3 / RFC 5373 auto-answer: `Call-Info: <sip:HOST>;answer-after=0`,
   * `Alert-Info: <urn:alert:service:auto-answer>` and `Answer-Mode: Auto`.
   */
  readonly autoAnswer?: boolean;
  /** Answers 401/407 challenges once (trunks). */
  readonly credentials?: DigestCredentials;
  /** Each provisional response (1xx). */
  readonly onProgress?: (response: SipResponse) => void;
  /** Aborting cancels the INVITE (RFC 3261 §9.1); the promise rejects with SIP_REQUEST_CANCELLED. */
  readonly signal?: AbortSignal;
  /** Transport when the URI has no `transport` parameter (default udp). */
  readonly transport?: TransportName;
  /** Send to this address instead of resolving the URI (outbound proxy / flow). */
  readonly destination?: Destination;
}

export interface InviteResult {
  readonly dialog: Dialog;
  /** The SDP answer of the 2xx (undefined if it had no body). */
  readonly answerSdp: string | undefined;
  readonly response: SipResponse;
}

function parseTarget(target: string | Uri): Uri {
  if (typeof target !== 'string') return target;
  const r = parseUri(target);
  if (!r.ok) throw sipError('SIP_INVALID_ARGUMENT', `bad target URI: ${r.reason}`);
  return r.uri;
}

function parseAddr(text: string): NameAddr {
  const r = parseNameAddr(text);
  if (!r.ok) throw sipError('SIP_INVALID_ARGUMENT', `bad address ${JSON.stringify(text)}: ${r.reason}`);
  return r.value;
}

/**
 * The UAC side of an INVITE (drachtio's `createUAC`): sends it, reports provisional responses,
 * creates early and confirmed dialogs (RFC 3261 §12.1.2), ACKs the 2xx end to end (§13.2.2.4),
 * retries once with digest credentials, and cancels on abort (§9.1).
 */
export async function sendInvite(
  core: UaCore,
  target: string | Uri,
  options: InviteOptions = {},
): Promise<InviteResult> {
  const uri = parseTarget(target);
  if (options.signal?.aborted) throw sipError('SIP_REQUEST_CANCELLED', 'aborted before sending');
  const destination = options.destination ?? (await core.transport.resolve(uri, options.transport));
  const headers: Record<string, string> = {};
  if (options.autoAnswer) {
    const host = uri.kind === 'sip' ? core.transport.host : core.transport.host;
    headers['call-info'] = `<sip:${host}>;answer-after=0`;
    headers['alert-info'] = '<urn:alert:service:auto-answer>';
    headers['answer-mode'] = 'Auto';
  }
  Object.assign(headers, options.headers);
  let invite = buildRequest({
    method: 'INVITE',
    uri,
    from: options.from ? parseAddr(options.from) : core.defaultFrom(),
    to: options.to ? parseAddr(options.to) : { displayName: undefined, uri, params: new Map() },
    branch: core.transactions.newBranch(),
    contact: core.contactFor(destination.transport),
    headers,
  });
  core.decorate(invite);
  if (options.sdp !== undefined) invite.setBody(options.sdp, 'application/sdp');

  let authTried = false;
  for (;;) {
    const outcome = await runInvite(core, invite, destination, options);
    if (outcome.kind === 'done') return outcome.result;
    const res = outcome.response;
    // RFC 3261 §22.2: "When a UAC resubmits a request with its credentials after receiving a 401
    // (Unauthorized) or 407 (Proxy Authentication Required) response, it MUST increment the CSeq
    // header field value as it would normally when sending an updated request."
    if ((res.status === 401 || res.status === 407) && options.credentials && !authTried) {
      authTried = true;
      const value = authorize(options.credentials, res, 'INVITE', serializeUri(invite.uri));
      if (value) {
        invite = cloneForRetry(invite, core.transactions.newBranch());
        invite.set(value.header, value.value);
        continue;
      }
    }
    throw sipError('SIP_REQUEST_FAILED', `INVITE answered ${res.status} ${res.reason}`, {
      status: res.status,
      reason: res.reason,
    });
  }
}

/** Answers a 401/407 with the auth engineer's DigestClient; undefined when it cannot. */
export function authorize(
  credentials: DigestCredentials,
  res: SipResponse,
  method: string,
  uri: string,
): { header: string; value: string } | undefined {
  const client = new DigestClient(credentials);
  try {
    const status = res.status === 401 ? 401 : 407;
    client.handleChallenge(status, res.getAll(status === 401 ? 'www-authenticate' : 'proxy-authenticate'));
    return client.authorize(method, uri);
  } catch {
    return undefined;
  }
}

function cloneForRetry(invite: SipRequest, branch: string): SipRequest {
  const r = new SipRequest('INVITE', invite.uri);
  r.via = [
    {
      transport: 'UDP',
      host: '0.0.0.0',
      port: undefined,
      params: new Map([
        ['branch', branch],
        ['rport', null],
      ]),
    },
  ];
  r.maxForwards = 70;
  r.from = invite.from;
  r.to = invite.to;
  r.callId = invite.callId;
  r.cseq = { seq: invite.cseq.seq + 1, method: 'INVITE' };
  for (const [k, v] of invite.headers) r.headers.set(k, [...v]);
  r.body = invite.body;
  return r;
}

type Outcome = { kind: 'done'; result: InviteResult } | { kind: 'failed'; response: SipResponse };

function runInvite(
  core: UaCore,
  invite: SipRequest,
  destination: Destination,
  options: InviteOptions,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    const early = new Map<string, Dialog>();
    let confirmed: Dialog | undefined;
    let provisionalSeen = false;
    let cancelSent = false;
    let cancelWanted = false;
    let settled = false;
    const signal = options.signal;

    const sendCancel = () => {
      if (cancelSent) return;
      cancelSent = true;
      // RFC 3261 §9.1: "The Request-URI, Call-ID, To, the numeric part of CSeq, and From header
      // fields in the CANCEL request MUST be identical to those in the request being cancelled,
      // including tags. A CANCEL constructed by a client MUST have only a single Via header field
      // value matching the top Via value in the request being cancelled."
      const cancel = new SipRequest('CANCEL', invite.uri);
      cancel.via = invite.via.slice(0, 1);
      cancel.maxForwards = 70;
      cancel.from = invite.from;
      cancel.to = invite.to;
      cancel.callId = invite.callId;
      cancel.cseq = { seq: invite.cseq.seq, method: 'CANCEL' };
      const route = invite.headers.get('route');
      if (route) cancel.headers.set('route', route);
      core.transactions.request(cancel, destination, {
        onResponse: () => undefined,
        onFailure: () => undefined,
      });
    };
    const onAbort = () => {
      cancelWanted = true;
      // "If no provisional response has been received, the CANCEL request MUST NOT be sent; rather,
      // the client MUST wait for the arrival of a provisional response before sending the request."
      if (provisionalSeen) sendCancel();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = () => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
    };

    const dialogFor = (res: SipResponse, state: DialogState): Dialog | undefined => {
      const tag = res.toTag;
      if (!tag) return undefined;
      let d = early.get(tag);
      const contact = res.getNameAddrs('contact')[0];
      if (!d) {
        d = new Dialog(
          {
            role: 'uac',
            id: { callId: invite.callId, localTag: invite.fromTag ?? '', remoteTag: tag },
            state,
            localUri: invite.from,
            remoteUri: res.to,
            // RFC 3261 §12.1.2: "The route set MUST be set to the list of URIs in the Record-Route
            // header field from the response, taken in reverse order" … "The remote target MUST be
            // set to the URI from the Contact header field of the response."
            remoteTarget: contact?.uri ?? invite.uri,
            routeSet: res.getAll('record-route').reverse(),
            localSeq: invite.cseq.seq,
            remoteSeq: undefined,
            secure: invite.uri.kind === 'sip' && invite.uri.scheme === 'sips',
            flow: destination,
          },
          core.dialogCore,
        );
        d.localSdp = invite.body.length ? invite.bodyText : undefined;
        early.set(tag, d);
        core.addDialog(d);
      } else if (contact) d.remoteTarget = contact.uri;
      return d;
    };

    const ackFor = async (d: Dialog, res: SipResponse) => {
      // RFC 3261 §13.2.2.4: "The header fields of the ACK are constructed in the same way as for any
      // request sent within a dialog … with the exception of the CSeq and the header fields related
      // to authentication. The sequence number of the CSeq header field MUST be the same as the
      // INVITE being acknowledged, but the CSeq method MUST be ACK."
      const ack = d.createRequest('ACK', invite.cseq.seq);
      const dest = d.flowFor() ?? (await core.dialogCore.resolveNextHop(d, d.nextHop(ack)));
      core.transport.sendRequest(ack, dest).catch(() => undefined);
      core.rememberAck(res, ack, dest);
    };

    core.transactions.request(invite, destination, {
      onResponse: (res) => {
        if (res.status < 200) {
          if (res.status > 100) {
            provisionalSeen = true;
            dialogFor(res, DialogState.Early);
          } else provisionalSeen = true;
          if (cancelWanted) sendCancel();
          if (!settled) options.onProgress?.(res);
          return;
        }
        if (res.status < 300) {
          const d = dialogFor(res, DialogState.Confirmed);
          if (!d) return;
          if (d.state === DialogState.Early) d.transition(DialogState.Confirmed);
          void ackFor(d, res);
          if (confirmed && confirmed !== d) {
            // A second 2xx from another fork: acknowledge it and end that dialog.
            void d.bye();
            return;
          }
          if (confirmed) return; // a retransmission, re-ACKed above
          confirmed = d;
          d.remoteSdp = res.body.length ? res.bodyText : undefined;
          for (const [tag, e] of early)
            if (e !== d && e.state === DialogState.Early) {
              early.delete(tag);
              e.transition(DialogState.Terminated, 'rejected');
            }
          finish();
          if (cancelWanted) {
            // The 2xx crossed our CANCEL: the call is up, so end it (RFC 3261 §9.1 note).
            void d.bye();
            reject(sipError('SIP_REQUEST_CANCELLED', 'answered while cancelling; sent BYE'));
            return;
          }
          resolve({ kind: 'done', result: { dialog: d, answerSdp: d.remoteSdp, response: res } });
          return;
        }
        for (const e of early.values())
          if (e.state !== DialogState.Terminated) e.transition(DialogState.Terminated, 'rejected');
        if (settled) return;
        finish();
        if (cancelWanted && res.status === 487) reject(sipError('SIP_REQUEST_CANCELLED'));
        else resolve({ kind: 'failed', response: res });
      },
      onFailure: (err) => {
        for (const e of early.values())
          if (e.state !== DialogState.Terminated) e.transition(DialogState.Terminated, 'failure');
        if (settled) return;
        finish();
        reject(cancelWanted ? sipError('SIP_REQUEST_CANCELLED', err.message) : err);
      },
    });
  });
}
