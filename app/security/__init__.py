"""Who may see what: sign-in, roles, signatures of phone systems, redaction, audit."""
