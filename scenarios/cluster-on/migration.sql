ALTER TABLE accounts CLUSTER ON accounts_pkey;
