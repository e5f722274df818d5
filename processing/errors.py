"""Errors the pipeline raises for problems a user can act on, and the words for storage failures."""

import errno
from collections.abc import Iterator


class PipelineError(Exception):
    """A failure whose message is written for the person who uploaded the song.

    The message says what went wrong and what to do; it never holds a traceback or a path
    on the server.
    """

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message


class AudioError(PipelineError):
    """The file is not audio we can read, or its audio is unusable (empty, silent, too long)."""


# errno values of a full disk or quota, and of a folder the process may not write.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
NOT_PERMITTED_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
DISK_FULL = "The server's disk is full, so this could not be stored. Nothing was kept; try again later."
NOT_PERMITTED = ("The server may not write its files (a problem on our side, not with your song). "
                 "Nothing was kept; try again later.")


def storage_problem(error: BaseException) -> str | None:
    """A sentence for the user when `error` (or an error it arose from) is a full disk or a
    folder the server may not write; None for any other error."""
    for cause in error_chain(error):
        if isinstance(cause, OSError) and cause.errno in DISK_FULL_ERRNOS:
            return DISK_FULL
        if isinstance(cause, OSError) and cause.errno in NOT_PERMITTED_ERRNOS:
            return NOT_PERMITTED
    return None


def error_chain(error: BaseException | None) -> Iterator[BaseException]:
    """`error`, then the errors it was raised from or while handling, each once."""
    seen = set()
    while error is not None and id(error) not in seen:
        yield error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
