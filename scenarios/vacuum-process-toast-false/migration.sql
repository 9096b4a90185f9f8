VACUUM (PROCESS_TOAST false, TRUNCATE false) accounts;
