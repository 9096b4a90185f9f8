ALTER TABLE accounts DROP CONSTRAINT accounts_pkey;
