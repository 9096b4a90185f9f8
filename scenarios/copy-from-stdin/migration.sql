COPY orders (account_id, note) FROM stdin;
1	copied
2	copied
\.
