ALTER TABLE accounts ALTER COLUMN name TYPE short_label;
