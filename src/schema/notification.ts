import type { NotificationRow } from '../db/notifications.js';
import type { SigningSecret } from '../notifications/signing.js';
import {
  markNotificationRead,
  rotateWebhookSigningSecret,
  webhookSigningSecrets,
  notification,
  notifications,
  requeueNotification,
  sendNotification,
  type SendNotificationInput as SendInput,
} from '../resolvers/notifications.js';
import { builder } from './builder.js';
import { connectionOf } from './page-info.js';

const NotificationStatus = builder.enumType('NotificationStatus', {
  values: ['PENDING', 'SENT', 'FAILED', 'DEAD', 'READ'] as const,
});

const NotificationChannel = builder.enumType('NotificationChannel', {
  values: {
    WEBHOOK: {
      description:
        'POSTs a JSON body {id, subject, body} to the recipient URL, signed per Standard Webhooks v1; any 2xx is success,\n' +
        '410 Gone ends the retries, and 429/503 with Retry-After delay the next attempt.',
    },
    LOG: { description: 'Writes the notification to the server log; always succeeds.' },
    UNKNOWN: {
      description:
        'A channel this server does not deliver through (one since removed, or written by SQL):\n' +
        'the notification is DEAD, and channelName says which it was. Not accepted by sendNotification.',
    },
  } as const,
});

const NotificationDeadReason = builder.enumType('NotificationDeadReason', {
  values: {
    MAX_ATTEMPTS: { description: 'Every attempt failed (NOTIFICATION_MAX_ATTEMPTS).' },
    GONE: { description: 'The webhook receiver answered 410 Gone: it asked not to be sent this again, so no further attempt was made.' },
    UNKNOWN_CHANNEL: { description: 'The channel is not one this server delivers through; nothing was attempted.' },
  } as const,
});

const SendNotificationInput = builder.inputType('SendNotificationInput', {
  description: 'recipient is an http(s) URL for WEBHOOK; subject is 1..500 and body at most 100000 characters.',
  fields: (t) => ({
    channel: t.field({ type: NotificationChannel, required: true }),
    recipient: t.string({ required: true }),
    subject: t.string({ required: true }),
    body: t.string({ required: true }),
  }),
});

const channelOf = (row: NotificationRow) => (row.channel === 'WEBHOOK' || row.channel === 'LOG' ? row.channel : 'UNKNOWN');

export const Notification = builder.objectRef<NotificationRow>('Notification').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    channel: t.field({ type: NotificationChannel, resolve: (row) => channelOf(row) }),
    channelName: t.exposeString('channel', { description: 'The channel as stored, also when channel is UNKNOWN.' }),
    recipient: t.exposeString('recipient', {
      description: 'Where it goes. A webhook URL may carry a secret and names a host: OPERATOR and above read it, a VIEWER reads "(hidden)".',
      authScopes: { operator: true },
      unauthorizedResolver: () => '(hidden)',
    }),
    subject: t.exposeString('subject'),
    body: t.exposeString('body'),
    status: t.field({ type: NotificationStatus, resolve: (row) => row.status }),
    retryCount: t.exposeInt('retryCount', { description: 'Failed delivery attempts so far.' }),
    nextRetryAt: t.expose('nextRetryAt', { type: 'DateTime', nullable: true }),
    lastError: t.exposeString('lastError', {
      nullable: true,
      description: 'Why the last attempt failed: "delivery failed: " and a category (timeout, connection refused, HTTP status, destination not allowed …).',
    }),
    deadReason: t.field({
      type: NotificationDeadReason,
      nullable: true,
      description: 'Why it is DEAD; null in any other status.',
      resolve: (row) => (row.status === 'DEAD' ? row.deadReason : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    sentAt: t.expose('sentAt', { type: 'DateTime', nullable: true }),
  }),
});

const NotificationConnection = connectionOf('Notification', Notification);

const WebhookSigningSecretSource = builder.enumType('WebhookSigningSecretSource', {
  values: {
    SETTING: { description: 'WEBHOOK_SIGNING_SECRET sets it; rotated by changing that setting.' },
    DATABASE: { description: 'Generated on first start and kept in the database; rotateWebhookSigningSecret rotates it.' },
  } as const,
});

const WebhookSigningSecret = builder.objectRef<SigningSecret>('WebhookSigningSecret').implement({
  description:
    'A secret that signs every webhook (Standard Webhooks v1: webhook-id, webhook-timestamp, webhook-signature).\n' +
    'Each attempt carries one signature per live secret. SUPERADMIN.',
  authScopes: { superadmin: true },
  fields: (t) => ({
    secret: t.exposeString('secret', { description: 'whsec_ and the key in base64, as the receivers\' libraries take it.' }),
    source: t.field({ type: WebhookSigningSecretSource, resolve: (row) => row.source }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true, description: 'null for a secret of the setting.' }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'null for the current secret; otherwise it signs beside the current one until then (a rotation\'s overlap).',
    }),
  }),
});

builder.queryFields((t) => ({
  notifications: t.field({
    type: NotificationConnection,
    description: 'Notifications, newest first, optionally of one status. `first` is 1..500. VIEWER.',
    authScopes: { viewer: true },
    args: {
      status: t.arg({ type: NotificationStatus }),
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
    },
    resolve: (_root, args, ctx) => notifications(ctx, args),
  }),
  notification: t.field({
    type: Notification,
    nullable: true,
    description: 'One notification; null if there is none with that id. VIEWER.',
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => notification(ctx, String(args.id)),
  }),
}));

builder.queryFields((t) => ({
  webhookSigningSecrets: t.field({
    type: [WebhookSigningSecret],
    description: 'The secrets that sign webhooks now, newest (current) first. SUPERADMIN.',
    authScopes: { superadmin: true },
    resolve: (_root, _args, ctx) => webhookSigningSecrets(ctx),
  }),
}));

builder.mutationFields((t) => ({
  rotateWebhookSigningSecret: t.field({
    type: [WebhookSigningSecret],
    description:
      'Make a new current webhook signing secret; the previous one keeps signing beside it for `overlap`\n' +
      '(a duration, default 24h, at most 30d; 0s stops it at once). Returns the live secrets. CONFLICT when\n' +
      'WEBHOOK_SIGNING_SECRET sets them. Audited. SUPERADMIN.',
    authScopes: { superadmin: true },
    args: { overlap: t.arg.string({ defaultValue: '24h' }) },
    resolve: (_root, args, ctx) => rotateWebhookSigningSecret(ctx, args),
  }),
  sendNotification: t.field({
    type: Notification,
    description: 'Queue a notification; the delivery worker sends it. OPERATOR.',
    authScopes: { operator: true },
    args: { input: t.arg({ type: SendNotificationInput, required: true }) },
    resolve: (_root, args, ctx) => sendNotification(ctx, args.input as SendInput),
  }),
  requeueNotification: t.field({
    type: Notification,
    description:
      'Put a DEAD or FAILED notification back to PENDING with retryCount 0,\nnextRetryAt null and lastError null, so the worker sends it again.\nNOT_FOUND for an unknown id, CONFLICT for any other status. Audited. OPERATOR.',
    authScopes: { operator: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => requeueNotification(ctx, String(args.id)),
  }),
  markNotificationRead: t.field({
    type: Notification,
    description: 'Mark a SENT notification READ. NOT_FOUND for an unknown id. VIEWER.',
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => markNotificationRead(ctx, String(args.id)),
  }),
}));
