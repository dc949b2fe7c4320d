"""The project's own error type: something a user can cause, with a message that says what
was expected and what was found. The CLI prints it as one line and exits with code 2; the app
shows it in the page."""


class HandCamError(Exception):
    """A problem with the user's input (a path, a file, an option), not a bug."""
