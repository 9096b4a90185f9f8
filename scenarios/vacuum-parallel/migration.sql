VACUUM (PARALLEL 2, TRUNCATE false) accounts;
