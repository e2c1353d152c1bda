"""Names that are unique whatever their case: one folding, done in Python, for every database.

Neither database folds case the way people read names: SQLite's ``lower()`` folds ASCII only,
and PostgreSQL's depends on the server's collation ("İ", "ß"). So the key a name is compared
by is computed here and stored beside the name, under a unique index.
"""

from __future__ import annotations

import unicodedata

# The key columns' width. A name of up to 200 characters passes it only through characters
# that unfold into several ("ß" into "ss", U+FDFA "ﷺ" into 18); such a name is refused.
MAX_KEY_LENGTH = 200


def clean_name(name: str) -> str:
    """A name as it is kept and shown: blanks at the ends dropped, inner runs made one space."""
    return " ".join(name.split())


def name_key(name: str) -> str:
    """What two names must share to be the same name: compatibility-normalized (so "ﬁ" is
    "fi" and "²" is "2"), case-folded (so "ß" is "ss" and "İ" is "i̇"), blanks collapsed.
    Normalized again after folding, which can undo normalization."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return clean_name(folded)


def key_too_long(name: str) -> bool:
    return len(name_key(name)) > MAX_KEY_LENGTH
