"""Verification codes printed on documents (attendance certificates, piagam) and typed back to check them.

Twenty characters (about 93 bits) of an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B), printed in
groups of five; what a person types is read back whatever the case, spaces or dashes.
"""
import secrets

CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 20


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """A code as typed or printed ("ACDEF-GHJKM-…", lower case) as stored; "" when it cannot be one."""
    code = "".join(ch for ch in (text or "")[:100] if ch.isalnum()).upper()
    return code if len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code) else ""


def display_code(code: str) -> str:
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))
