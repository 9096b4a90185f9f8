ALTER TABLE events ADD CONSTRAINT events_kind_ck CHECK (kind >= 0);
