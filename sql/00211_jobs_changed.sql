-- Wake the live job list (Subscription.jobListLiveCounts) when the catalogue
-- gains or loses a job: its counts come from the executions, but its rows from
-- jobs. Statement-level, as the other change captures of 00050.
create trigger jobs_changed
  after insert or delete or truncate on jobs
  for each statement execute function opsgraph_notify_change('jobs');
