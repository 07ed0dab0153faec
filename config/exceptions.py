class ApplicationError(Exception):
    """A business rule refused an operation. `message` is Swedish and fit to show a user."""

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
