BEGIN;
SET LOCAL lock_timeout = '2s';
LOCK TABLE accounts IN SHARE MODE;
UPDATE accounts SET plan = 'legacy' WHERE created_at < '2020-01-01';
COMMIT;
