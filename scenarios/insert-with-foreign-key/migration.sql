INSERT INTO orders (account_id, note) VALUES (1, 'new');
