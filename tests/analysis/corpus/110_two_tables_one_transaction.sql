BEGIN;
SET LOCAL lock_timeout = '2s';
ALTER TABLE accounts ADD COLUMN referral_code text;
ALTER TABLE orders ADD COLUMN referral_code text;
COMMIT;
