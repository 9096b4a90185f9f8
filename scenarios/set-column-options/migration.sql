ALTER TABLE accounts ALTER COLUMN n SET (n_distinct = 100);
