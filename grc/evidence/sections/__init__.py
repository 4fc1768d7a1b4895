"""One module per area of the programme, each registering the evidence blocks of its DPP clauses
(see ``registry``). ``collect`` holds what the blocks get: the pack's period, ``now`` and helpers
for bounded tables and attached files."""

from grc.evidence.sections.registry import Block, Evidence, Mark, Table, all_blocks, blocks_for, register

__all__ = ["Block", "Evidence", "Mark", "Table", "all_blocks", "blocks_for", "register"]
