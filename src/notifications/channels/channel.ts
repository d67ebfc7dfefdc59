import type { ClaimedNotification } from '../../db/notifications.js';

/** Delivers one notification; resolves on success, throws an Error whose message becomes lastError. */
export type Channel = (notification: ClaimedNotification) => Promise<void>;
