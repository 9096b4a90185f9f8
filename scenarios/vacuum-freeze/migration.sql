VACUUM (FREEZE, TRUNCATE false) accounts;
