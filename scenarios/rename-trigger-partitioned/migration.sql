ALTER TRIGGER events_touch ON events RENAME TO events_touched;
