-- A new table with no foreign key: nothing else uses it yet.
CREATE TABLE invoices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number text NOT NULL,
    amount numeric(12, 2) NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX invoices_number_key ON invoices (number);
