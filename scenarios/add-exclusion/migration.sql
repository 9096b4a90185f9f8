ALTER TABLE accounts ADD CONSTRAINT accounts_n_excl EXCLUDE USING btree (n WITH =);
