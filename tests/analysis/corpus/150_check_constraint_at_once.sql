SET lock_timeout = '2s';
SET statement_timeout = '10min';
ALTER TABLE order_items ADD CONSTRAINT order_items_quantity_positive CHECK (quantity > 0);
