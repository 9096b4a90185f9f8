DELETE FROM events WHERE kind = 3;
