ALTER TABLE accounts ALTER COLUMN total TYPE numeric(12, 2);
