-- Issue 26: webhooks signed per Standard Webhooks v1, and the receiver's
-- answers honoured.
--
-- The signing secrets, when WEBHOOK_SIGNING_SECRET does not set them: one is
-- generated on first start (src/notifications/signing.ts) and kept here, so
-- every instance of a fleet signs with the same one and an upgrade needs no new
-- setting. The current secret has expires_at null; a rotation gives it an
-- expires_at (now + the overlap) and inserts a new current one, and every
-- secret not yet expired signs each attempt beside the others.
create table webhook_signing_secrets (
  id          bigint generated always as identity primary key,
  secret      text not null check (secret like 'whsec\_%'),
  created_at  timestamptz not null default now(),
  expires_at  timestamptz
);
-- At most one current secret: two instances generating the first one at the
-- same moment keep one (insert … on conflict do nothing).
create unique index webhook_signing_secrets_one_current on webhook_signing_secrets ((true)) where expires_at is null;

-- Why a notification is DEAD: MAX_ATTEMPTS (NOTIFICATION_MAX_ATTEMPTS failed),
-- GONE (the receiver answered 410) or UNKNOWN_CHANNEL; null unless DEAD.
alter table notifications add column dead_reason text
  check (dead_reason in ('MAX_ATTEMPTS', 'GONE', 'UNKNOWN_CHANNEL'));
-- Dead letters written before this: an unknown channel says so in lastError;
-- every other one ran out of attempts. No status changes, so the counter
-- triggers (sql/00180) write nothing.
update notifications
set dead_reason = case when last_error like 'unknown channel %' then 'UNKNOWN_CHANNEL' else 'MAX_ATTEMPTS' end
where status = 'DEAD';
