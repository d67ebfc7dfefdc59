-- Kill-signal subscribers now read by id above a high-water mark (the primary
-- key), not by requested_at (src/db/kill-signals.ts): requested_at is the kill
-- transaction's start, which says nothing about when it committed. The index
-- 00050_change_capture.sql made for the reads by time has no reader left.
drop index if exists kill_signals_requested_at_idx;
