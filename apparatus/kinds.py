"""The kinds the format names: of an annotation (its ``type:``) and of a record (its ``kind:``). One list each, for
the checks, the schema and the command line (which reads them without loading the checks)."""

TYPES = ("correction", "context", "source")
KINDS = ("un", "parliament", "legislation", "government", "court", "other")
