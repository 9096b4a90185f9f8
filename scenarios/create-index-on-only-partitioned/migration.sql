CREATE INDEX events_kind_idx ON ONLY events (kind);
