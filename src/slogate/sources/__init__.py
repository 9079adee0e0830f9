"""Input discovery: paths, directories, globs and Hive partitions to a list of files.

Parsing itself happens once, inside the engine's loader (`slogate.engine.loader`),
so that every line is read by compiled code rather than by Python.
"""

from slogate.sources.files import InputFile, discover_inputs

__all__ = ["InputFile", "discover_inputs"]
