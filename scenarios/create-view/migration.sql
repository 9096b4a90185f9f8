CREATE VIEW active_accounts AS SELECT * FROM accounts WHERE n > 0;
