SELECT count(*) FROM accounts WHERE n > 10;
