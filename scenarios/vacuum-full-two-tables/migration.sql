VACUUM FULL accounts, orders;
