"""A Postgres wire-protocol proxy on loopback, in front of pgfence's throwaway server, so
a project's own migration runner can be observed statement by statement (issue 15)."""
