-- One batch; the deploy script repeats it until it updates no row.
UPDATE accounts SET plan = 'free'
WHERE ctid = ANY (ARRAY(SELECT ctid FROM accounts WHERE plan IS NULL LIMIT 10000));
