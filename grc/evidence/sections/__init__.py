"""One module per area of the programme, each registering the evidence blocks of its DPP clauses
(see ``registry``; ``catalogue`` imports them all and lists a clause's blocks). ``collect`` holds
what the blocks get: the pack's period, ``now`` and helpers for bounded tables and attached files."""
