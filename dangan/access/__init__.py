"""People and permissions: accounts, roles, sessions, API tokens, ID masking."""
