DROP TRIGGER events_touch ON events;
