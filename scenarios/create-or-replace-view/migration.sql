CREATE OR REPLACE VIEW active_accounts AS SELECT * FROM accounts WHERE n > 10;
