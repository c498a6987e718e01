"""Readers turn the files of a run folder into typed records with provenance.

None of them imports pytest and none of them executes anything from the run folder.
"""
