"""A person's own account: the sessions they have open."""
