"""Errors the pipeline raises for problems a user can act on."""


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
