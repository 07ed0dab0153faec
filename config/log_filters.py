"""Log filters, attached to the handlers in settings.LOGGING so that every record passes them."""

import logging
import re

REDACTED = "[personnummer]"

# A personnummer or samordningsnummer in any written form: YYYYMMDD-NNNN, YYYYMMDDNNNN,
# YYMMDD-NNNN, YYMMDD+NNNN or YYMMDDNNNN. The month and day must be plausible (a samordningsnummer
# adds 60 to the day) so that other long numbers, such as timestamps, stay readable. No digit may
# touch either end, so a longer number is never cut into one.
PERSONNUMMER = re.compile(
    r"(?<!\d)(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
    r"[-+]?\d{4}(?!\d)"
)


def redact_personnummer(text: str) -> str:
    return PERSONNUMMER.sub(REDACTED, text)


class RedactPersonnummerFilter(logging.Filter):
    """Replace personnummer-like numbers in the message, its arguments and any traceback.

    1. Render the message with its arguments, redact it and drop the arguments, so that a number
       passed as an argument is caught as well as one written into the message.
    2. Format the traceback now and store the redacted text in `exc_text`, which formatters use
       as is instead of formatting the exception again (a database error can quote a row).
    """

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_personnummer(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_personnummer(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_personnummer(record.stack_info)
        return True
