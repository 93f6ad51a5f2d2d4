"""Studies: the signed manifest, the participant's consent, capture bound by it, withdrawal.

Qt-free. ``manifest`` parses and verifies (``signing`` holds the signature
envelope), ``keys`` is the researcher's key folder; see docs/STUDY.md.
"""
