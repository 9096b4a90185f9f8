VACUUM (ANALYZE, TRUNCATE false) accounts;
