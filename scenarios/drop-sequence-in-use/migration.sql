DROP SEQUENCE orders_id_seq;
