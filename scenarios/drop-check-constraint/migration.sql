ALTER TABLE accounts DROP CONSTRAINT accounts_n_check;
