CREATE SEQUENCE payment_numbers OWNED BY payments.id;
