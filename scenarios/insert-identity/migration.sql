INSERT INTO tickets (title) VALUES ('new');
