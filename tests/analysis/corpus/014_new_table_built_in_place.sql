-- Everything here is on a table this migration creates: nobody else uses it yet.
CREATE TABLE coupons (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL,
    percent_off integer
);
CREATE UNIQUE INDEX coupons_code_key ON coupons (code);
ALTER TABLE coupons ALTER COLUMN percent_off SET NOT NULL;
ALTER TABLE coupons ADD CONSTRAINT coupons_percent_range CHECK (percent_off BETWEEN 1 AND 100);
