CREATE TABLE big_accounts AS SELECT * FROM accounts WHERE n > 1000;
