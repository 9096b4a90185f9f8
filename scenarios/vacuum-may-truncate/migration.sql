VACUUM accounts;
