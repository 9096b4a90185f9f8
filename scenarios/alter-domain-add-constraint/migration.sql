ALTER DOMAIN positive_int ADD CONSTRAINT positive_int_check CHECK (VALUE > 0);
