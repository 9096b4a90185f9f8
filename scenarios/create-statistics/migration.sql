CREATE STATISTICS accounts_n_total ON n, total FROM accounts;
