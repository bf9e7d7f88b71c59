"""Code common to the four services: contracts (schemas, envelope), identity, logging,
time, money, and the event-store and messaging plumbing.

Domain modules import from here only what is framework-free (clock, money, errors,
the aggregate base). The nameko glue lives in `shared.platform`.
"""
