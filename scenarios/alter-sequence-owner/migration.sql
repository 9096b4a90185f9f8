ALTER SEQUENCE invoice_numbers OWNER TO pgfence_seq_owner;
