ALTER SEQUENCE orders_id_seq RENAME TO orders_number_seq;
