ALTER TABLE event_links ADD CONSTRAINT event_links_fk FOREIGN KEY (event_id, event_at) REFERENCES events (id, at);
