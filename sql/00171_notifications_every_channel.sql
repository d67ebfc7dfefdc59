-- Every notification reaches the API, whatever its channel: a row whose channel
-- this server does not deliver through (a channel since removed, or one a
-- direct SQL write made up) is a dead letter like any other, listed, counted
-- and requeueable, so the dead-letter badge and the /metrics gauge agree. The
-- status index therefore covers every row, no longer only WEBHOOK and LOG.
create index notifications_status_id_all_idx on notifications (status, id desc);
drop index notifications_api_status_id_idx;
