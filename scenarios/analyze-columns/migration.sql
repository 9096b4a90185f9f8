ANALYZE accounts (email, n);
