REINDEX INDEX events_at_idx;
