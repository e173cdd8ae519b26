"""Row ids typed or posted by users: checked before they reach the database."""

MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database; anything beyond is not a row


def row_id(value) -> int | None:
    """A row id from user input, or None when it cannot be one (never a database error)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= MAX_ID else None


def row_ids(values) -> list[int]:
    """The values that can be row ids, in order; the others are dropped."""
    return [i for i in (row_id(v) for v in values or ()) if i is not None]
