ALTER TABLE events ADD CONSTRAINT events_kind_nn NOT NULL kind;
