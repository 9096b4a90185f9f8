ALTER TABLE accounts ADD CONSTRAINT accounts_n_nn NOT NULL n;
