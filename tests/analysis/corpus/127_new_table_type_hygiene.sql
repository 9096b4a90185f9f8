CREATE TABLE countries (
    id serial PRIMARY KEY,
    code char(2) NOT NULL,
    name varchar(80) NOT NULL,
    metadata json,
    updated_at timestamp
);
