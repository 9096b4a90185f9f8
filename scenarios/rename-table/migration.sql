ALTER TABLE accounts RENAME TO users;
