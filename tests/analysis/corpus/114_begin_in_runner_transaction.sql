-- runner: transaction
BEGIN;
SET LOCAL lock_timeout = '2s';
ALTER TABLE sessions ADD COLUMN ip inet;
COMMIT;
