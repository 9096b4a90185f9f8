CLUSTER events USING events_at_idx;
