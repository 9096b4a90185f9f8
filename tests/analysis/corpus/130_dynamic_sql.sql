DO $$
BEGIN
    EXECUTE format('ALTER TABLE %I ADD COLUMN archived boolean', 'orders');
END
$$;
