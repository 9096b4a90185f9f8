ANALYZE events;
