-- pg: 17
SET lock_timeout = '2s';
ALTER TABLE accounts ADD COLUMN email_domain text GENERATED ALWAYS AS (split_part(email, '@', 2)) VIRTUAL;
