ALTER TABLE events DROP CONSTRAINT events_kind_ck;
