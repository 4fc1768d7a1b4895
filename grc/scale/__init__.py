"""A large, realistic organisation for benchmarks (``manage.py seed_scale``) and the bench's floor view.

At factor 1: 2,000 people, 60 systems, 25,000 accounts, 5,000 assets, 600 risks, 1,500 incidents
over three years, 12 past quarterly access reviews (and the current one in progress), 200
deletion requests and 1,000,000 audit events on a valid hash chain. Everything is written with
bulk inserts (PostgreSQL ``COPY`` for the audit trail), with the values the services would have
stored: flags computed by the apps' pure functions, obligations as the obligation engine keeps
them, encrypted fields encrypted. See README "Performance".
"""
