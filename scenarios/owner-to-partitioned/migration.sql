ALTER TABLE events OWNER TO pgfence_events_owner;
