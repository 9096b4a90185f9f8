-- runner: transaction
SET LOCAL lock_timeout = '2s';
ALTER TABLE sessions ADD COLUMN user_agent text;
