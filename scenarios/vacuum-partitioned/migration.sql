VACUUM (TRUNCATE false) events;
