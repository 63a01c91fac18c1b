from __future__ import annotations


class BackupError(Exception):
    """A backup or restore that cannot be done, with a one-line reason an operator can act on.

    Nothing was changed: a failed backup leaves no files behind, a refused or failed restore
    leaves the target database as it was (empty).
    """
