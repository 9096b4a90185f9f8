VACUUM (TRUNCATE false) accounts;
