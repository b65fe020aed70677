"""Clinical content as data: guideline rules, the care pathway, translations.

The files beside this module are the single place where clinical thresholds and
family-facing text live; each rule carries its citation. The loaders here read them into
the domain's value types and refuse a file that is incomplete or lacks a citation.
"""
