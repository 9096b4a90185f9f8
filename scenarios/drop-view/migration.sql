DROP VIEW active_accounts;
