ALTER TABLE accounts ALTER COLUMN total TYPE numeric(10, 3);
