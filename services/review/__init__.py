"""review: case audits, expert reviews, decisions and term-end evaluations."""
