CREATE PUBLICATION col_pub FOR TABLE payments (id, amount);
