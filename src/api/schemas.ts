import { type Static, Type } from '@sinclair/typebox';
import { CALLER_ID_PATTERN } from '../calls/app/provisioning.js';

const strict = { additionalProperties: false } as const;

/** A string enum typed as the union of its values. */
const enumOf = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });

export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }, strict) },
  { ...strict, $id: 'Error' },
);

const Presence = enumOf([
  'AVAILABLE',
  'AWAY',
  'BUSY',
  'BREAK',
  'MEAL',
  'MEETING',
  'TRAINING',
  'OFFLINE',
] as const);
const RoutingStatus = enumOf(['OFF_QUEUE', 'IDLE', 'INTERACTING', 'NOT_RESPONDING'] as const);

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  strict,
);
export const LoginReply = Type.Object({ accessToken: Type.String(), expiresIn: Type.Integer() }, strict);

export const UserBody = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    name: Type.String(),
    presence: Presence,
    routingStatus: RoutingStatus,
    roles: Type.Array(Type.String()),
    permissions: Type.Array(Type.String()),
    selectedPhone: Type.Optional(Type.Object({ id: Type.String(), kind: Type.String() })),
    /** The selected phone (R2) as the console reads it, or null. */
    phone: Type.Unsafe<{ kind: PhoneKindT; sipUser?: string; number?: string } | null>({
      type: 'object',
      nullable: true,
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { type: 'string', enum: ['webrtc', 'sip', 'remote'] },
        sipUser: { type: 'string' },
        number: { type: 'string' },
      },
    }),
  },
  strict,
);
type PhoneKindT = 'webrtc' | 'sip' | 'remote';
const PhoneKind = enumOf(['webrtc', 'sip', 'remote'] as const);
/** A route that takes no query parameters (anything else is VALIDATION_FAILED). */
export const NoQuery = Type.Object({}, strict);
export const PhoneCredentials = Type.Object(
  { sipUser: Type.String(), password: Type.String(), domain: Type.String() },
  strict,
);
export const UserList = Type.Object(
  {
    entities: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          username: Type.String(),
          name: Type.String(),
          presence: Presence,
          routingStatus: RoutingStatus,
          roles: Type.Array(Type.String()),
          phone: Type.Optional(Type.Object({ id: Type.String(), kind: PhoneKind }, strict)),
        },
        strict,
      ),
    ),
  },
  strict,
);
export const RoleList = Type.Object(
  {
    entities: Type.Array(
      Type.Object({ id: Type.String(), name: Type.String(), permissions: Type.Array(Type.String()) }, strict),
    ),
  },
  strict,
);
/** `GET /telephony/trunks`: never a password (a URI's userinfo password is removed too). */
export const TrunkList = Type.Object(
  {
    entities: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          name: Type.String(),
          inboundAllow: Type.Array(Type.String()),
          outbound: Type.Optional(
            Type.Object(
              {
                uri: Type.String(),
                username: Type.Optional(Type.String()),
                callerId: Type.Optional(Type.String()),
                hasPassword: Type.Boolean({
                  description: 'A digest password is provisioned (never returned).',
                }),
              },
              strict,
            ),
          ),
        },
        strict,
      ),
    ),
  },
  strict,
);

export const PhoneList = Type.Object(
  {
    entities: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          userId: Type.String(),
          kind: PhoneKind,
          sipUser: Type.Optional(Type.String()),
          number: Type.Optional(Type.String()),
        },
        strict,
      ),
    ),
  },
  strict,
);
export const PresenceBody = Type.Object({ presence: Presence }, strict);
export const PresenceReply = Type.Object({ id: Type.String(), presence: Presence }, strict);
export const RoutingStatusBody = Type.Object(
  { status: Type.Union([Type.Literal('IDLE'), Type.Literal('OFF_QUEUE')]) },
  strict,
);
export const RoutingStatusReply = Type.Object({ id: Type.String(), status: RoutingStatus }, strict);

export const QueueBody = Type.Object(
  { id: Type.String(), name: Type.String(), number: Type.String() },
  strict,
);
export const QueueList = Type.Object({ entities: Type.Array(QueueBody) }, strict);
export const MemberList = Type.Object(
  {
    entities: Type.Array(
      Type.Object(
        { id: Type.String(), name: Type.String(), presence: Presence, routingStatus: RoutingStatus },
        strict,
      ),
    ),
  },
  strict,
);

export const Participant = Type.Object(
  {
    id: Type.String(),
    purpose: enumOf(['customer', 'agent', 'acd', 'monitor', 'coach'] as const),
    userId: Type.Optional(Type.String()),
    name: Type.String(),
    address: Type.Optional(Type.String()),
    state: enumOf(['alerting', 'connected', 'held', 'disconnected'] as const),
    held: Type.Boolean(),
    muted: Type.Boolean(),
    monitoredParticipantId: Type.Optional(Type.String()),
    coachedParticipantId: Type.Optional(Type.String()),
    connectedTime: Type.Optional(Type.String()),
    endTime: Type.Optional(Type.String()),
  },
  strict,
);
export const Conversation = Type.Object(
  {
    id: Type.String(),
    state: Type.Union([Type.Literal('active'), Type.Literal('ended')]),
    startTime: Type.String(),
    endTime: Type.Optional(Type.String()),
    queueId: Type.Optional(Type.String()),
    participants: Type.Array(Participant),
  },
  strict,
);
export const ConversationList = Type.Object(
  {
    entities: Type.Array(Conversation),
    pageSize: Type.Integer(),
    pageNumber: Type.Integer(),
    total: Type.Integer(),
  },
  strict,
);
export const ListQuery = Type.Object(
  {
    state: Type.Optional(Type.Literal('active')),
    /** 1-100 (default 25); query strings are not coerced, hence the pattern. */
    pageSize: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$' })),
    pageNumber: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$' })),
  },
  strict,
);
export const IdParam = (names: string[]) =>
  Type.Object(
    Object.fromEntries(names.map((n) => [n, Type.String({ minLength: 1, maxLength: 100 })])),
    strict,
  );

export const ParticipantPatch = Type.Object(
  {
    held: Type.Optional(Type.Boolean()),
    muted: Type.Optional(Type.Boolean()),
    state: Type.Optional(Type.Literal('disconnected')),
    mode: Type.Optional(Type.Union([Type.Literal('monitor'), Type.Literal('coach')])),
  },
  { ...strict, minProperties: 1, maxProperties: 1 },
);
export const TransferBody = Type.Object(
  {
    userId: Type.Optional(Type.String({ minLength: 1 })),
    queueId: Type.Optional(Type.String({ minLength: 1 })),
    address: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { ...strict, minProperties: 1, maxProperties: 1 },
);
export const SuperviseBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, strict);
export const SuperviseReply = Type.Object({ participantId: Type.String(), state: Type.String() }, strict);

export const Timeline = Type.Object(
  {
    entities: Type.Array(
      Type.Object(
        {
          type: Type.String(),
          at: Type.String(),
          userId: Type.Optional(Type.String()),
          participantId: Type.Optional(Type.String()),
          targetParticipantId: Type.Optional(Type.String()),
          reason: Type.Optional(Type.String()),
        },
        strict,
      ),
    ),
  },
  strict,
);

export const AuditList = Type.Object(
  {
    entities: Type.Array(
      Type.Object(
        {
          id: Type.Integer(),
          at: Type.String(),
          actorUserId: Type.String(),
          action: Type.String(),
          outcome: Type.String(),
          code: Type.Optional(Type.String()),
          conversationId: Type.Optional(Type.String()),
          participantId: Type.Optional(Type.String()),
          targetParticipantId: Type.Optional(Type.String()),
          sourceAddress: Type.Optional(Type.String()),
          reason: Type.Optional(Type.String()),
        },
        strict,
      ),
    ),
  },
  strict,
);

export const ProvisionReply = Type.Object({ orgId: Type.String() }, strict);
export const InboundBody = Type.Object(
  {
    queueId: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    address: Type.Optional(Type.String({ maxLength: 200 })),
  },
  strict,
);

export type ParticipantPatchT = Static<typeof ParticipantPatch>;
export type TransferBodyT = Static<typeof TransferBody>;

/**
 * CONTRACT.md §2 `trunks[]` as the API sees it: the fields a schema can check (a bad `callerId` is
 * `VALIDATION_FAILED`); the rest is checked by `validateProvisioning` (`PROVISIONING_INVALID`).
 */
const ProvisionTrunk = Type.Object(
  {
    name: Type.String(),
    outbound: Type.Optional(
      Type.Object(
        {
          uri: Type.String({ description: 'Where calls to numbers go: `sip:host:port`.' }),
          username: Type.Optional(
            Type.String({
              description: "Digest user answering the trunk's 401/407 (the realm comes from the challenge).",
            }),
          ),
          password: Type.Optional(
            Type.String({
              writeOnly: true,
              description: 'Digest password; only used to compute digest responses, never returned or sent.',
            }),
          ),
          callerId: Type.Optional(
            Type.String({
              pattern: CALLER_ID_PATTERN.source,
              maxLength: 200,
              description: 'The From user of INVITEs to the trunk (default `earshot`).',
            }),
          ),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
);

/** The provisioning document of CONTRACT.md §2 (validated in depth by `validateProvisioning`). */
export const ProvisionBodySchema = Type.Object(
  {
    org: Type.Object({ name: Type.String() }),
    trunks: Type.Optional(Type.Array(ProvisionTrunk)),
    queues: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    users: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
  },
  strict,
);

/**
 * `PATCH …/participants/{pid}/consult` (the vendor's shape). Only `CONFERENCE` is supported by the
 * domain (the consult ends with all three connected); the other values are refused with a message.
 */
export const SpeakTo = ['DESTINATION', 'OBJECT', 'BOTH', 'CONFERENCE'] as const;
export const ConsultPatch = Type.Object(
  {
    speakTo: enumOf(SpeakTo),
  },
  {
    ...strict,
    description: 'Only CONFERENCE is supported; DESTINATION, OBJECT and BOTH are VALIDATION_FAILED.',
  },
);

/** `POST /conversations/calls`: an agent's outbound call to a number through the trunk. */
export const OutboundCallBody = Type.Object(
  { phoneNumber: Type.String({ pattern: '^\\+?[0-9]{3,20}$', description: 'E.164 digits, optional +' }) },
  strict,
);
