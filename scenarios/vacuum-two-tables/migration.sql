VACUUM (TRUNCATE false) accounts, orders;
