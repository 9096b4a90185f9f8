SET lock_timeout = '1min';
ALTER TABLE accounts ADD COLUMN locale text;
