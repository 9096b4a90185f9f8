ALTER TABLE readings ALTER COLUMN at TYPE timestamp(6);
