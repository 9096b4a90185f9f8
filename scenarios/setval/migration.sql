SELECT setval('orders_id_seq', 5000);
