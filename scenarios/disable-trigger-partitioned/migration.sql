ALTER TABLE events DISABLE TRIGGER events_touch;
