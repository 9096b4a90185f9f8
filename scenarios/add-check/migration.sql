ALTER TABLE accounts ADD CONSTRAINT accounts_n_positive CHECK (n > 0);
