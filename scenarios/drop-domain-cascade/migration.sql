DROP DOMAIN positive_int CASCADE;
