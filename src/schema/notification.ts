import type { NotificationRow } from '../db/notifications.js';
import {
  markNotificationRead,
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
    WEBHOOK: { description: 'POSTs a JSON body {id, subject, body} to the recipient URL; any 2xx is success.' },
    LOG: { description: 'Writes the notification to the server log; always succeeds.' },
    UNKNOWN: {
      description:
        'A channel this server does not deliver through (one since removed, or written by SQL):\n' +
        'the notification is DEAD, and channelName says which it was. Not accepted by sendNotification.',
    },
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

const Notification = builder.objectRef<NotificationRow>('Notification').implement({
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
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    sentAt: t.expose('sentAt', { type: 'DateTime', nullable: true }),
  }),
});

const NotificationConnection = connectionOf('Notification', Notification);

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

builder.mutationFields((t) => ({
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
