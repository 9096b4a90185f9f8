ALTER FOREIGN TABLE feed OPTIONS (ADD header 'false');
