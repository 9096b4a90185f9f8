GRANT SELECT ON accounts TO reporting;
