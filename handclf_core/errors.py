"""The project's own error type: something a user can cause, with a message that says what
was expected and what was found. The CLI prints it as one line and exits with code 2; the app
shows it in the page, in the reader's language where the error names its explanation's
catalogue key (`key`, with `fields`): the file stays named, the explanation is translated."""


class HandCamError(Exception):
    """A problem with the user's input (a path, a file, an option), not a bug.

    `str(error)` is the English line the CLI prints. `key` (optional) is the catalogue key
    of the same explanation for the app, filled with `fields` (`app.session.explain`)."""

    def __init__(self, message: str = "", *, key: str | None = None, **fields):
        super().__init__(message)
        self.key = key
        self.fields = fields
