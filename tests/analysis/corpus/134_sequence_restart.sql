SET lock_timeout = '2s';
ALTER SEQUENCE invoice_number_seq RESTART WITH 5000;
