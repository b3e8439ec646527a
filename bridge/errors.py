"""The one error type the user sees.

Anything wrong with the user's input raises ``BridgeError`` with a one-line
message that says what is wrong and what to do. The CLI prints it as
``error: ...`` (exit 2) and the app shows it with ``st.error``; any other
exception is a bug in Bridge, not in the user's data.
"""


class BridgeError(ValueError):
    """Bad input, explained in one line for the person who gave it."""
