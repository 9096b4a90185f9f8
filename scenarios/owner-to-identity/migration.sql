ALTER TABLE tickets OWNER TO pgfence_ticket_owner;
