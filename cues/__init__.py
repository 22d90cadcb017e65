"""The cue engine: final utterances of a call in, cue cards and call context out.

Pure and synchronous (no I/O): the playbook is data (``playbook.yaml``), the
detectors are functions of the call so far, and the engine keeps one call's state.
"""
