VACUUM (INDEX_CLEANUP off, TRUNCATE false) accounts;
