TRUNCATE accounts;
