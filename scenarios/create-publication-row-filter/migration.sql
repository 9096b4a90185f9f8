CREATE PUBLICATION big_pub FOR TABLE payments WHERE (amount > 100);
