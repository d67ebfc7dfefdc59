-- The API reads only the rows whose channel NotificationChannel can name
-- (WEBHOOK, LOG). With that predicate on the index, counts by status (totalCount,
-- the dashboard's dead-letter and failed badges) are index-only scans instead of
-- visiting the heap to check each row's channel.
drop index notifications_status_id_idx;
create index notifications_api_status_id_idx on notifications (status, id desc)
  where channel in ('WEBHOOK', 'LOG');
