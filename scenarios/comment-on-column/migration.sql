COMMENT ON COLUMN accounts.email IS 'login address';
